"""The fixed layout of settings.SEIDRA_MODELS_DIR, shared with the engine that loads from it:

    checkpoints/<name>/              diffusers pipeline directory (has model_index.json)
    checkpoints/<file>.safetensors   single-file checkpoint, named by its file name, suffix included,
                                     as the engine names it: it never collides with a directory
                                     (the demo model ships as both seidra-tiny-sdxl/ and .safetensors)
    vae/<name>/                      diffusers VAE (config.json + diffusion_pytorch_model*.safetensors)
    loras/<name>.safetensors         a LoRA, named without the suffix

Names starting with a dot are ours (downloads in progress, partial copies) and never listed.
Every rule of this layout is written here once: the catalog sync, `setup_models` and the worker
(through apps/catalog/selectors.py `model_locate`) all read it here.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .request import ENGINE_LOCAL, ModelLocation
from .safetensors_header import safetensors_problem

CHECKPOINTS = "checkpoints"
VAE = "vae"
LORAS = "loras"
DOWNLOADS = ".downloads"
SAFETENSORS = ".safetensors"
# The embedded demo model and its LoRAs (random weights; `manage.py make_tiny_model`). The one demo
# rule: a name starting with DEMO_PREFIX (the sync stores it as `is_demo`, the worker reads the row).
DEMO_PREFIX = "seidra-tiny"
DEMO_MODEL_NAME = "seidra-tiny-sdxl"
SDXL_BASE_NAME = "stable-diffusion-xl-base-1.0"
# Where a single-file checkpoint's configs come from when no SDXL base directory is installed.
SDXL_BASE_REPO = "stabilityai/stable-diffusion-xl-base-1.0"
# SDXL's VAE overflows in fp16; this one does not, and is used for every real model when installed.
FP16_FIX_VAE_NAME = "sdxl-vae-fp16-fix"


@dataclass(frozen=True)
class FoundFile:
    """A model or LoRA found on disk. `relative_path` is POSIX, relative to SEIDRA_MODELS_DIR."""

    name: str
    kind: str  # checkpoint | vae | lora
    format: str  # diffusers | single_file
    relative_path: str
    size_bytes: int


def models_dir() -> Path:
    return Path(settings.SEIDRA_MODELS_DIR)


def is_demo_name(name: str) -> bool:
    return name.startswith(DEMO_PREFIX)


def lora_file(name: str) -> Path:
    return models_dir() / LORAS / f"{name}{SAFETENSORS}"


def entry_target(*, kind: str, name: str) -> Path:
    """Where an installed catalog entry lives."""
    if kind == "lora":
        return lora_file(name)
    return models_dir() / (CHECKPOINTS if kind == "checkpoint" else VAE) / name


def single_file_config_dir(path: Path) -> Path | str:
    """Where a single .safetensors checkpoint takes its diffusers configs and tokenizers from: a
    directory of the same name beside it (the demo model ships as both), else the installed SDXL
    base directory, else the hub repo id (downloaded when online)."""
    own = path.with_name(path.name.removesuffix(SAFETENSORS))
    if (own / "model_index.json").is_file():
        return own
    base = models_dir() / CHECKPOINTS / SDXL_BASE_NAME
    return base if base.exists() else SDXL_BASE_REPO


def fp16_fix_vae_path() -> Path | None:
    vae = models_dir() / VAE / FP16_FIX_VAE_NAME
    return vae if vae.exists() else None


def local_model_location(*, name: str, path: Path, is_demo: bool) -> ModelLocation:
    """Where the local engine loads a checkpoint from: `path` is its directory or single file."""
    single_file = path.suffix == SAFETENSORS
    return ModelLocation(
        name=name,
        engine=ENGINE_LOCAL,
        is_demo=is_demo,
        path=path,
        config_dir=single_file_config_dir(path) if single_file else None,
        vae_path=None if is_demo else fp16_fix_vae_path(),  # the demo model has its own tiny VAE
    )


def local_model_location_by_name(name: str) -> ModelLocation:
    """The same, from the name alone (checkpoints/<name>, demo by its name): for the engine's tests and
    benches, which load files without a catalog. The worker asks the catalog (`model_locate`)."""
    return local_model_location(name=name, path=entry_target(kind="checkpoint", name=name), is_demo=is_demo_name(name))


def staging_dir(name: str) -> Path:
    """Per-entry download area on the same filesystem, so finished files are moved, not copied."""
    return models_dir() / DOWNLOADS / name


def tree_size(path: Path) -> int:
    """Bytes of a file, or of every file under a directory (following links into the HF cache)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for child in path.rglob("*"):
        if any(part.startswith(".") for part in child.relative_to(path).parts):
            continue  # huggingface_hub's .cache/ metadata, partial files
        if child.is_file():
            total += child.stat().st_size
    return total


def disk_scan() -> tuple[list[FoundFile], list[str]]:
    """Everything loadable under SEIDRA_MODELS_DIR, and a note for each thing left out and why."""
    root = models_dir()
    found: list[FoundFile] = []
    notes: list[str] = []

    checkpoints = root / CHECKPOINTS
    for path in _visible(checkpoints):
        if path.is_dir():
            if (path / "model_index.json").is_file():
                found.append(_found(path, "checkpoint", "diffusers"))
            else:
                notes.append(
                    _("%(path)s: no model_index.json, not a diffusers pipeline")
                    % {"path": f"{CHECKPOINTS}/{path.name}/"}
                )
        elif path.suffix == SAFETENSORS:
            if problem := safetensors_problem(path):
                notes.append(f"{CHECKPOINTS}/{path.name}: {problem}")
            else:
                found.append(_found(path, "checkpoint", "single_file"))

    for path in _visible(root / VAE):
        if not path.is_dir():
            continue
        weights = list(path.glob("diffusion_pytorch_model*.safetensors"))
        if (path / "config.json").is_file() and weights:
            found.append(_found(path, "vae", "diffusers"))
        else:
            notes.append(
                _("%(path)s: needs config.json and diffusion_pytorch_model*.safetensors")
                % {"path": f"{VAE}/{path.name}/"}
            )

    for path in _visible(root / LORAS):
        if path.is_file() and path.suffix == SAFETENSORS:
            if problem := safetensors_problem(path):
                notes.append(f"{LORAS}/{path.name}: {problem}")
            else:
                found.append(_found(path, "lora", "single_file"))
    return found, notes


def _visible(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def _found(path: Path, kind: str, file_format: str) -> FoundFile:
    name = path.stem if kind == "lora" else path.name
    relative = path.relative_to(models_dir()).as_posix()
    return FoundFile(name=name, kind=kind, format=file_format, relative_path=relative, size_bytes=tree_size(path))
