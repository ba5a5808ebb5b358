"""Finding models and LoRAs in SEIDRA_MODELS_DIR (layout shared with apps.catalog and setup_models):

checkpoints/<name>/               a diffusers SDXL directory
checkpoints/<file>.safetensors    a single-file SDXL checkpoint, named by its file name
                                  (suffix included, so it never collides with a directory)
vae/<name>/                       a diffusers VAE (the fp16-fix VAE)
loras/<name>.safetensors          an SDXL LoRA
"""

from pathlib import Path

from .errors import EngineError
from .loading import SDXL_BASE_REPO, ModelSource
from .loras import LoraSpec
from .tiny_model import TINY_MODEL_NAME

SDXL_BASE_NAME = "stable-diffusion-xl-base-1.0"
FP16_FIX_VAE_NAME = "sdxl-vae-fp16-fix"


def model_source(models_dir: Path, name: str) -> ModelSource:
    checkpoints = models_dir / "checkpoints"
    directory = checkpoints / name
    single_file = checkpoints / (name if name.endswith(".safetensors") else f"{name}.safetensors")
    is_demo = name.startswith(TINY_MODEL_NAME)
    vae = models_dir / "vae" / FP16_FIX_VAE_NAME
    vae_path = vae if vae.exists() and not is_demo else None
    if (directory / "model_index.json").exists():
        return ModelSource(name=name, path=directory, vae_path=vae_path, is_demo=is_demo)
    if single_file.exists():
        # A single file carries weights only: configs and tokenizers come from a diffusers
        # directory of the same architecture (its own for the demo, SDXL base for the others).
        stem = name.removesuffix(".safetensors")
        own = checkpoints / stem
        base = checkpoints / SDXL_BASE_NAME
        config = own if (own / "model_index.json").exists() else base if base.exists() else SDXL_BASE_REPO
        return ModelSource(name=name, path=single_file, config_dir=config, vae_path=vae_path, is_demo=is_demo)
    raise EngineError(f"Unknown model '{name}': nothing at {directory} or {single_file}. Run `manage.py setup_models`.")


def lora_spec(models_dir: Path, name: str, weight: float) -> LoraSpec:
    return LoraSpec(name=name, path=models_dir / "loras" / f"{name}.safetensors", weight=weight)
