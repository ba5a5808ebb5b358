"""Build the demo model: SDXL architecture, tiny, random weights, no download."""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.catalog.services import catalog_sync_from_disk


class Command(BaseCommand):
    help = (
        "Build a tiny SDXL-architecture model with RANDOM weights (its images are noise) and two LoRAs for it, "
        "without any download, in the layout of real models under SEIDRA_MODELS_DIR: "
        "checkpoints/seidra-tiny-sdxl/ (diffusers), checkpoints/seidra-tiny-sdxl.safetensors (single file) and "
        "loras/seidra-tiny-lora*.safetensors. It is the default model while no SDXL is installed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random weights (default 0).")
        parser.add_argument("--force", action="store_true", help="Rebuild even if the demo model is already there.")

    def handle(self, *args, seed: int, force: bool, **options) -> None:
        from workers.engines.sdxl.tiny_model import TINY_MODEL_NAME, save_tiny_model

        models_dir = settings.SEIDRA_MODELS_DIR
        marker = models_dir / "checkpoints" / TINY_MODEL_NAME / "model_index.json"
        if marker.exists() and not force:
            self.stdout.write(f"The demo model is already in {marker.parent} (use --force to rebuild).")
        else:
            for name, path in save_tiny_model(models_dir, seed=seed).items():
                self.stdout.write(f"  {name}: {path}")
            done = f"Demo model '{TINY_MODEL_NAME}' written (random weights: images are noise)."
            self.stdout.write(self.style.SUCCESS(done))
        # The catalog table lists what is on disk; the demo appears there as a demo model.
        catalog_sync_from_disk()
