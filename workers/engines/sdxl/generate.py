"""Text-to-image with SDXL: one function whose body is the numbered steps of a generation.

It takes the typed request every engine takes (apps/catalog/request.py ImageRequest) and the
catalog's ModelLocation; LoRA files come from `lora_file(name)` (the catalog's, in the worker)."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from diffusers.utils.torch_utils import get_module_execution_device
from PIL import Image

from apps.catalog.limits import MAX_SEED, SIZE_STEP, BoundExcess, cpu_limits_excess, request_bounds_excess
from apps.catalog.request import ENGINE_LOCAL, ImageRequest, ModelLocation
from apps.core import metrics

from .cache import LoadedPipeline, PipelineCache
from .errors import EngineError, GenerationCancelled, InvalidRequest
from .loading import apply_memory_mode
from .loras import LoraSpec, apply_loras
from .memory import MemoryMode
from .preview import latents_to_preview
from .runtime import Runtime
from .schedulers import SCHEDULERS, make_scheduler, scheduler_key


@dataclass
class StepProgress:
    """Handed to the step hook after every denoising step, then before each image's VAE decode and
    once after the last (`decoding` set: the index of the image about to be decoded, or the batch
    size when all are). The hook may call `cancel()` (the run stops there) and `preview()` (a small
    RGB image from the latents)."""

    step: int  # steps done, 1..total
    total: int
    latents: torch.Tensor
    cancelled: bool = False
    decoding: int | None = None

    def cancel(self) -> None:
        self.cancelled = True

    def preview(self, *, index: int = 0) -> Image.Image:
        return latents_to_preview(self.latents, index=index)


StepHook = Callable[[StepProgress], None]


@dataclass
class GenerationResult:
    images: list[Image.Image]
    seeds: list[int]
    parameters: dict
    seconds: float
    memory_mode: MemoryMode
    retried_after_oom: bool = False


def _cpu_limit_message(excess, request: ImageRequest) -> str:
    if excess.field == "steps":
        return (
            f"{request.steps} steps is over this CPU worker's limit of {excess.limit} ({excess.setting}): "
            f"lower the steps, or raise {excess.setting} on the worker."
        )
    return (
        f"{request.width}x{request.height} x {request.batch_size} images = {excess.value} pixels is over this CPU "
        f"worker's limit of {excess.limit} ({excess.setting}): lower the size or the batch, or raise "
        f"{excess.setting} on the worker."
    )


def _bound_message(excess: BoundExcess, *, is_demo: bool) -> str:
    which = "the demo model" if is_demo else "this model"
    if excess.field in ("width", "height"):
        return f"{excess.value} must be a multiple of {SIZE_STEP} between {excess.low} and {excess.high} for {which}"
    if excess.field == "steps":
        return f"{excess.value} must be between {excess.low} and {excess.high} for {which}"
    if excess.field == "loras":
        return f"weight {excess.value} of '{excess.name}' must be between {excess.low:g} and {excess.high:g}"
    return f"{excess.value} must be between {excess.low:g} and {excess.high:g}"


def validate_request(request: ImageRequest, *, is_demo: bool, runtime: Runtime | None = None) -> ImageRequest:
    """Refuse out-of-range values with the field's name, rather than silently correcting them. The
    bounds are the model's (apps/catalog/limits.py), and on a CPU device also the runtime's CPU limits."""
    if not request.prompt.strip():
        raise InvalidRequest("prompt", "must not be empty")
    weights = {lora.name: lora.weight for lora in request.loras}
    excess = request_bounds_excess(
        is_demo=is_demo, width=request.width, height=request.height, steps=request.steps, guidance=request.guidance,
        batch_size=request.batch_size, seed=request.seed, lora_weights=weights,
    )  # fmt: skip
    if excess is not None:
        raise InvalidRequest(excess.field, _bound_message(excess, is_demo=is_demo))
    if runtime is not None and runtime.on_cpu:
        # One denoising step or VAE decode of a big job takes minutes on a CPU, and cannot be cancelled midway.
        excess = cpu_limits_excess(
            width=request.width, height=request.height, batch_size=request.batch_size, steps=request.steps,
            max_pixels=runtime.cpu_max_pixels, max_steps=runtime.cpu_max_steps,
        )  # fmt: skip
        if excess is not None:
            raise InvalidRequest(excess.field, _cpu_limit_message(excess, request))
    seed = request.seed if request.seed is not None else random.randint(0, MAX_SEED)
    return replace(request, seed=seed, scheduler=scheduler_key(request.scheduler))


def _denoise(loaded: LoadedPipeline, request: ImageRequest, seeds: list[int], hook: StepHook | None):
    """The latents of the whole batch; decoded image by image afterwards (_decode)."""

    def on_step_end(pipeline, step_index: int, _timestep, callback_kwargs: dict) -> dict:
        if hook is not None:
            progress = StepProgress(step=step_index + 1, total=request.steps, latents=callback_kwargs["latents"])
            hook(progress)
            if progress.cancelled:
                raise GenerationCancelled(progress.step)
        return callback_kwargs

    # CPU generators give the same noise for a seed on any device.
    generators = [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
    began = time.monotonic()
    latents = loaded.pipeline(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt or None,
        width=request.width,
        height=request.height,
        num_inference_steps=request.steps,
        guidance_scale=request.guidance,
        num_images_per_prompt=request.batch_size,
        generator=generators,
        output_type="latent",
        callback_on_step_end=on_step_end,
        callback_on_step_end_tensor_inputs=["latents"],
    ).images
    elapsed = time.monotonic() - began
    if elapsed > 0:
        metrics.denoising_steps_per_second.labels(engine=ENGINE_LOCAL).set(request.steps / elapsed)
    return latents


def _check_cancel(hook: StepHook | None, request: ImageRequest, latents: torch.Tensor, decoding: int) -> None:
    if hook is None:
        return
    progress = StepProgress(step=request.steps, total=request.steps, latents=latents, decoding=decoding)
    hook(progress)
    if progress.cancelled:
        raise GenerationCancelled(progress.step)


@torch.no_grad()
def _decode(loaded: LoadedPipeline, request: ImageRequest, latents: torch.Tensor, hook: StepHook | None):
    """The VAE decode of StableDiffusionXLPipeline, one image at a time: a large decode is the longest
    uninterruptible part of a job on a CPU, so the cancel flag is checked before and after each image."""
    pipeline = loaded.pipeline
    vae = pipeline.vae
    # The SDXL VAE overflows in fp16 unless it is the fp16-fix one (force_upcast false).
    upcast = vae.dtype == torch.float16 and vae.config.force_upcast
    if upcast:
        vae.to(dtype=torch.float32)
    try:
        dtype = next(iter(vae.post_quant_conv.parameters())).dtype
        mean, std = getattr(vae.config, "latents_mean", None), getattr(vae.config, "latents_std", None)
        images = []
        for index in range(latents.shape[0]):
            _check_cancel(hook, request, latents, decoding=index)
            latent = latents[index : index + 1].to(dtype)
            if mean is not None and std is not None:
                latent_mean = torch.tensor(mean).view(1, 4, 1, 1).to(latent.device, latent.dtype)
                latent_std = torch.tensor(std).view(1, 4, 1, 1).to(latent.device, latent.dtype)
                latent = latent * latent_std / vae.config.scaling_factor + latent_mean
            else:
                latent = latent / vae.config.scaling_factor
            image = vae.decode(latent.to(get_module_execution_device(vae)), return_dict=False)[0]
            if getattr(pipeline, "watermark", None) is not None:
                image = pipeline.watermark.apply_watermark(image)
            images.extend(pipeline.image_processor.postprocess(image, output_type="pil"))
        _check_cancel(hook, request, latents, decoding=len(images))
    finally:
        if upcast:
            vae.to(dtype=torch.float16)
        pipeline.maybe_free_model_hooks()  # offloaded memory modes: the VAE leaves the GPU again
    return images


def _oom_message(request: ImageRequest, mode: MemoryMode) -> str:
    return (
        f"CUDA out of memory at {request.width}x{request.height}, batch {request.batch_size}, even in memory mode "
        f"'{mode.value}'. Set SEIDRA_MEMORY_MODE=sequential_offload (and SEIDRA_VAE_TILING=1), "
        "or lower the size or the batch."
    )


def generate(
    request: ImageRequest,
    *,
    source: ModelLocation,
    lora_file: Callable[[str], Path],
    cache: PipelineCache,
    runtime: Runtime,
    hook: StepHook | None = None,
) -> GenerationResult:
    started = time.perf_counter()

    # 1. Check the parameters against the model's limits (and a CPU's); draw the seed when none is given.
    request = validate_request(request, is_demo=source.is_demo, runtime=runtime)

    # 2. Take the resident pipeline: loaded on first use only, then shared by every job.
    loaded = cache.get(source, runtime)

    # 3. LoRAs: a file is loaded once per pipeline; a job only sets its adapter weights.
    apply_loras(loaded, [LoraSpec(lora.name, path=lora_file(lora.name), weight=lora.weight) for lora in request.loras])

    # 4. Scheduler by name, built on the model's own noise schedule.
    loaded.pipeline.scheduler = make_scheduler(request.scheduler, loaded.pipeline.scheduler.config)

    # 5. One seed per image (seed, seed+1, ...), so any image of a batch can be made again alone.
    seeds = [(request.seed + offset) % (MAX_SEED + 1) for offset in range(request.batch_size)]

    # 6. Denoise, then decode image by image (cancel is checked after each step and around each decode).
    #    On CUDA out-of-memory, step down to the next lighter memory mode and retry once.
    retried = False
    try:
        images = _decode(loaded, request, _denoise(loaded, request, seeds, hook), hook)
    except torch.OutOfMemoryError as error:
        lighter = MemoryMode.lighter_than(loaded.memory_mode)
        if lighter is None:
            raise EngineError(_oom_message(request, loaded.memory_mode)) from error
        apply_memory_mode(loaded.pipeline, runtime, lighter)
        loaded.memory_mode, retried = lighter, True
        try:
            images = _decode(loaded, request, _denoise(loaded, request, seeds, hook), hook)
        except torch.OutOfMemoryError as second_error:
            raise EngineError(_oom_message(request, lighter)) from second_error

    # 7. The images and the parameters that really produced them (the request plus this engine's facts).
    parameters = {
        **request.to_json(),
        "model": source.name,
        "scheduler": SCHEDULERS[request.scheduler][0],
        "seeds": seeds,
        **runtime.describe(),
        "memory_mode": loaded.memory_mode.value,
    }
    return GenerationResult(
        images=images,
        seeds=seeds,
        parameters=parameters,
        seconds=time.perf_counter() - started,
        memory_mode=loaded.memory_mode,
        retried_after_oom=retried,
    )
