"""Loading an SDXL pipeline from disk: a diffusers directory or a single `.safetensors` file.

Where the files are (the path, a single file's configs, the fp16-fix VAE) is the catalog's answer,
a ModelLocation (apps/catalog/selectors.py `model_locate`, rules in apps/catalog/layout.py).

Safetensors only: weights are never unpickled (`use_safetensors=True`), so a checkpoint cannot
run code when it is loaded.
"""

import logging
from pathlib import Path

import torch
from diffusers import AutoencoderKL, StableDiffusionXLPipeline

from apps.catalog.layout import SAFETENSORS, SDXL_BASE_REPO
from apps.catalog.request import ModelLocation

from .errors import EngineError
from .memory import MemoryMode
from .runtime import Runtime

logger = logging.getLogger(__name__)


def _is_single_file(location: ModelLocation) -> bool:
    return location.path.suffix == SAFETENSORS


def _variant(directory: Path, dtype: torch.dtype) -> str | None:
    """The fp16 files halve the download and the load on GPUs. `setup_models` fetches only them, so
    they are also read (and upcast) when running fp32 on a CPU and no full-precision files exist."""
    unet_files = list(directory.glob("unet/*.safetensors"))
    has_fp16 = any(path.name.endswith(".fp16.safetensors") for path in unet_files)
    has_full = any(not path.name.endswith(".fp16.safetensors") for path in unet_files)
    return "fp16" if has_fp16 and (dtype == torch.float16 or not has_full) else None


def _load_from_disk(source: ModelLocation, runtime: Runtime) -> StableDiffusionXLPipeline:
    if not source.path.exists():
        raise EngineError(f"Model '{source.name}' is not on disk at {source.path}: run `manage.py setup_models`.")
    if _is_single_file(source):
        try:
            return StableDiffusionXLPipeline.from_single_file(
                str(source.path),
                config=str(source.config_dir or SDXL_BASE_REPO),
                local_files_only=source.config_dir is not None,
                dtype=runtime.dtype,
            )
        except (OSError, ValueError) as error:
            raise EngineError(
                f"Cannot load the single-file checkpoint '{source.name}': {error}. It needs the SDXL base "
                "configuration: run `manage.py setup_models --only stable-diffusion-xl-base-1.0`."
            ) from error
    if not (source.path / "model_index.json").exists():
        raise EngineError(f"'{source.path}' is not a diffusers model directory (no model_index.json).")
    return StableDiffusionXLPipeline.from_pretrained(
        source.path,
        dtype=runtime.dtype,
        use_safetensors=True,
        variant=_variant(source.path, runtime.dtype),
        local_files_only=True,
    )


def _use_fp16_fix_vae(pipeline: StableDiffusionXLPipeline, source: ModelLocation, runtime: Runtime) -> None:
    """SDXL's own VAE overflows in fp16 (NaN, black images). With the fp16-fix VAE installed it is
    swapped in; without it, diffusers upcasts the VAE to fp32 for decoding (`force_upcast`)."""
    if runtime.dtype != torch.float16:
        return
    if source.vae_path is not None and source.vae_path.exists():
        pipeline.vae = AutoencoderKL.from_pretrained(source.vae_path, dtype=runtime.dtype, use_safetensors=True)
        pipeline.vae.register_to_config(force_upcast=False)
    else:
        pipeline.vae.register_to_config(force_upcast=True)


def apply_attention(pipeline: StableDiffusionXLPipeline, runtime: Runtime) -> None:
    if runtime.attention == "xformers":
        pipeline.enable_xformers_memory_efficient_attention()
    # Otherwise diffusers' default processors already use PyTorch SDPA (AttnProcessor2_0).


def apply_memory_mode(pipeline: StableDiffusionXLPipeline, runtime: Runtime, mode: MemoryMode) -> None:
    """Place the pipeline for `mode`; also used to step down to a lighter mode after an OOM."""
    if pipeline.device.type != "cpu" and mode != MemoryMode.GPU:
        pipeline.to("cpu")  # offload hooks expect the weights to start on the CPU
        if runtime.device.type == "cuda":
            torch.cuda.empty_cache()
    if mode == MemoryMode.GPU or runtime.device.type == "cpu":
        pipeline.to(runtime.device)
    elif mode == MemoryMode.MODEL_OFFLOAD:
        pipeline.enable_model_cpu_offload(device=runtime.device)
    else:
        pipeline.enable_sequential_cpu_offload(device=runtime.device)
    if runtime.vae_slicing:
        pipeline.vae.enable_slicing()
    if runtime.vae_tiling:
        pipeline.vae.enable_tiling()


def load_pipeline(source: ModelLocation, runtime: Runtime) -> StableDiffusionXLPipeline:
    """1. read the weights, 2. swap in the fp16-fix VAE, 3. attention, 4. memory placement, 5. compile."""
    pipeline = _load_from_disk(source, runtime)
    _use_fp16_fix_vae(pipeline, source, runtime)
    apply_attention(pipeline, runtime)
    apply_memory_mode(pipeline, runtime, runtime.memory_mode)
    pipeline.set_progress_bar_config(disable=True)
    if runtime.compile:
        # LoRA hotswap is prepared before compiling: every later LoRA switch replaces weights in
        # the one compiled slot instead of changing the graph (see loras.py).
        from .loras import prepare_compiled_slot

        pipeline.enable_lora_hotswap(target_rank=runtime.compile_lora_rank)
        prepare_compiled_slot(pipeline, rank=runtime.compile_lora_rank)
        pipeline.unet = torch.compile(pipeline.unet, backend=runtime.compile_backend)
    logger.info("loaded model %s on %s", source.name, runtime.describe())
    return pipeline
