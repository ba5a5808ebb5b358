"""Text-to-image with SDXL: one function whose body is the numbered steps of a generation."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from PIL import Image

from apps.jobs.limits import (
    BATCH_RANGE,
    DEMO_MODEL_SIDES,
    GUIDANCE_RANGE,
    LORA_WEIGHT_RANGE,
    MAX_SEED,
    REAL_MODEL_SIDES,
    SIZE_STEP,
    STEPS_RANGE,
)

from .cache import LoadedPipeline, PipelineCache
from .errors import EngineError, GenerationCancelled, InvalidRequest
from .loading import ModelSource, apply_memory_mode
from .loras import LoraSpec, apply_loras
from .memory import MemoryMode
from .preview import latents_to_preview
from .runtime import Runtime
from .schedulers import DEFAULT_SCHEDULER, SCHEDULERS, make_scheduler, scheduler_key


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    negative_prompt: str = ""
    width: int = 1024
    height: int = 1024
    steps: int = 30
    guidance: float = 7.0
    seed: int | None = None
    scheduler: str = DEFAULT_SCHEDULER
    batch_size: int = 1
    loras: tuple[LoraSpec, ...] = ()


@dataclass
class StepProgress:
    """Handed to the step hook after every denoising step. The hook may call `cancel()` (the run
    stops before the next step) and `preview()` (a small RGB image from the latents)."""

    step: int  # steps done, 1..total
    total: int
    latents: torch.Tensor
    cancelled: bool = False

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


def validate_request(request: GenerationRequest, *, is_demo: bool) -> GenerationRequest:
    """Refuse out-of-range values with the field's name, rather than silently correcting them."""
    if not request.prompt.strip():
        raise InvalidRequest("prompt", "must not be empty")
    low, high = DEMO_MODEL_SIDES if is_demo else REAL_MODEL_SIDES
    for name in ("width", "height"):
        value = getattr(request, name)
        if value % SIZE_STEP or not low <= value <= high:
            raise InvalidRequest(name, f"{value} must be a multiple of {SIZE_STEP} between {low} and {high}")
    if not STEPS_RANGE[0] <= request.steps <= STEPS_RANGE[1]:
        raise InvalidRequest("steps", f"{request.steps} must be between {STEPS_RANGE[0]} and {STEPS_RANGE[1]}")
    low, high = GUIDANCE_RANGE
    if not low <= request.guidance <= high:
        raise InvalidRequest("guidance", f"{request.guidance} must be between {low:g} and {high:g}")
    low, high = BATCH_RANGE
    if not low <= request.batch_size <= high:
        raise InvalidRequest("batch_size", f"{request.batch_size} must be between {low} and {high}")
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise InvalidRequest("seed", f"{request.seed} must be between 0 and {MAX_SEED}")
    for lora in request.loras:
        low, high = LORA_WEIGHT_RANGE
        if not low <= lora.weight <= high:
            raise InvalidRequest("loras", f"weight {lora.weight} of '{lora.name}' must be between {low:g} and {high:g}")
    seed = request.seed if request.seed is not None else random.randint(0, MAX_SEED)
    return replace(request, seed=seed, scheduler=scheduler_key(request.scheduler))


def _denoise(loaded: LoadedPipeline, request: GenerationRequest, seeds: list[int], hook: StepHook | None):
    def on_step_end(pipeline, step_index: int, _timestep, callback_kwargs: dict) -> dict:
        if hook is not None:
            progress = StepProgress(step=step_index + 1, total=request.steps, latents=callback_kwargs["latents"])
            hook(progress)
            if progress.cancelled:
                raise GenerationCancelled(progress.step)
        return callback_kwargs

    # CPU generators give the same noise for a seed on any device.
    generators = [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
    return loaded.pipeline(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt or None,
        width=request.width,
        height=request.height,
        num_inference_steps=request.steps,
        guidance_scale=request.guidance,
        num_images_per_prompt=request.batch_size,
        generator=generators,
        callback_on_step_end=on_step_end,
        callback_on_step_end_tensor_inputs=["latents"],
    ).images


def _oom_message(request: GenerationRequest, mode: MemoryMode) -> str:
    return (
        f"CUDA out of memory at {request.width}x{request.height}, batch {request.batch_size}, even in memory mode "
        f"'{mode.value}'. Set SEIDRA_MEMORY_MODE=sequential_offload (and SEIDRA_VAE_TILING=1), "
        "or lower the size or the batch."
    )


def generate(
    request: GenerationRequest,
    *,
    source: ModelSource,
    cache: PipelineCache,
    runtime: Runtime,
    hook: StepHook | None = None,
) -> GenerationResult:
    started = time.perf_counter()

    # 1. Check the parameters against the model's limits; draw the seed when none is given.
    request = validate_request(request, is_demo=source.is_demo)

    # 2. Take the resident pipeline: loaded on first use only, then shared by every job.
    loaded = cache.get(source, runtime)

    # 3. LoRAs: a file is loaded once per pipeline; a job only sets its adapter weights.
    apply_loras(loaded, list(request.loras))

    # 4. Scheduler by name, built on the model's own noise schedule.
    loaded.pipeline.scheduler = make_scheduler(request.scheduler, loaded.pipeline.scheduler.config)

    # 5. One seed per image (seed, seed+1, ...), so any image of a batch can be made again alone.
    seeds = [(request.seed + offset) % (MAX_SEED + 1) for offset in range(request.batch_size)]

    # 6. Denoise. On CUDA out-of-memory, step down to the next lighter memory mode and retry once.
    retried = False
    try:
        images = _denoise(loaded, request, seeds, hook)
    except torch.OutOfMemoryError as error:
        lighter = MemoryMode.lighter_than(loaded.memory_mode)
        if lighter is None:
            raise EngineError(_oom_message(request, loaded.memory_mode)) from error
        apply_memory_mode(loaded.pipeline, runtime, lighter)
        loaded.memory_mode, retried = lighter, True
        try:
            images = _denoise(loaded, request, seeds, hook)
        except torch.OutOfMemoryError as second_error:
            raise EngineError(_oom_message(request, lighter)) from second_error

    # 7. The images and the parameters that really produced them.
    parameters = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "model": source.name,
        "loras": [{"name": lora.name, "weight": lora.weight} for lora in request.loras],
        "width": request.width,
        "height": request.height,
        "steps": request.steps,
        "guidance": request.guidance,
        "scheduler": SCHEDULERS[request.scheduler][0],
        "seed": request.seed,
        "seeds": seeds,
        "batch_size": request.batch_size,
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
