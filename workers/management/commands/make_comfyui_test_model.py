"""Build the ComfyUI test checkpoint and its kohya-format LoRA: random weights, no download."""

from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Write a random-weights SDXL checkpoint that a real ComfyUI server accepts (full-size text "
        "encoders and VAE, a UNet 320 wide at every level; about 2.4 GB in fp16, a few minutes and about "
        "5 GB of memory) and a kohya-format LoRA for it, into --output. Test equipment for the ComfyUI "
        "engine: its images are noise. Copy both into a ComfyUI server's models/checkpoints and models/loras."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, required=True, help="Directory to write both files into.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random weights (default 0).")

    def handle(self, *args, output: Path, seed: int, **options) -> None:
        from workers.engines.sdxl.comfyui_test_model import save_comfyui_test_model

        written = save_comfyui_test_model(output, seed=seed, report=self.stdout.write)
        for kind, path in written.items():
            self.stdout.write(f"  {kind}: {path}")
        self.stdout.write(
            self.style.SUCCESS("ComfyUI test checkpoint and LoRA written (random weights: images are noise).")
        )
