"""Bounds of a generation request, and the size and steps it defaults to, per model, in one place:
the web validator (apps/catalog/parameters.py), the page form, the API schema and the engine
(workers/engines/sdxl/generate.py) all read them here.

Plain constants and functions, no Django import: the engine can use them without a configured
project. Operators change the CPU limits with SEIDRA_CPU_MAX_PIXELS / SEIDRA_CPU_MAX_STEPS
(seidra/settings/base.py, whose defaults are the ones below).
"""

from dataclasses import dataclass

MAX_SEED = 2**32 - 1  # 32-bit, as in A1111 and ComfyUI, so seeds can be copied between tools
SIZE_STEP = 8
REAL_MODEL_SIDES = (512, 1536)
STEPS_RANGE = (1, 100)
# The tiny random model only shows that the pipeline works: its images are noise at any size. Small
# bounds keep a demo job short on a CPU (1536 x 1536 x 4 at 100 steps held a worker ~5 minutes).
DEMO_MODEL_SIDES = (32, 512)
DEMO_MODEL_STEPS = (1, 50)
GUIDANCE_RANGE = (0.0, 20.0)
BATCH_RANGE = (1, 4)
LORA_WEIGHT_RANGE = (-4.0, 4.0)
# A worker generating on the CPU: width x height x images of one job, and denoising steps. The
# default lets any demo-model job through (512 x 512 x 4) and one 1024 x 1024 SDXL image.
CPU_MAX_PIXELS = 1024 * 1024
CPU_MAX_STEPS = 50


@dataclass(frozen=True)
class ModelLimits:
    sides: tuple[int, int]  # min, max of the width and of the height
    steps: tuple[int, int]


REAL_MODEL_LIMITS = ModelLimits(sides=REAL_MODEL_SIDES, steps=STEPS_RANGE)
DEMO_MODEL_LIMITS = ModelLimits(sides=DEMO_MODEL_SIDES, steps=DEMO_MODEL_STEPS)
# What any model accepts at most: the bounds of the form's inputs before a model is chosen.
WIDEST_SIDES = (min(DEMO_MODEL_SIDES[0], REAL_MODEL_SIDES[0]), max(DEMO_MODEL_SIDES[1], REAL_MODEL_SIDES[1]))
WIDEST_STEPS = (STEPS_RANGE[0], max(STEPS_RANGE[1], DEMO_MODEL_STEPS[1]))


# Each numeric request field's widest bounds, whatever the model, and its increment: the Create
# form's inputs and the API schema (apps/catalog/request.py names the fields). The chosen model's own
# bounds (model_limits) and the CPU limits narrow them; the validator applies those.
FIELD_BOUNDS = {
    "width": WIDEST_SIDES,
    "height": WIDEST_SIDES,
    "steps": WIDEST_STEPS,
    "guidance": GUIDANCE_RANGE,
    "seed": (0, MAX_SEED),
    "batch_size": BATCH_RANGE,
}
FIELD_INCREMENTS = {"width": SIZE_STEP, "height": SIZE_STEP, "steps": 1, "guidance": 0.1, "seed": 1, "batch_size": 1}


def model_limits(*, is_demo: bool) -> ModelLimits:
    return DEMO_MODEL_LIMITS if is_demo else REAL_MODEL_LIMITS


@dataclass(frozen=True)
class ModelDefaults:
    """What a job runs with when the request leaves the size or the steps out."""

    width: int
    height: int
    steps: int


# SDXL's native resolution, and a step count that gives its schedulers a finished image.
REAL_MODEL_DEFAULTS = ModelDefaults(width=1024, height=1024, steps=30)
# The demo model's images are noise at any size: small and short, so a CPU worker answers in seconds
# (1024 x 1024 at 30 steps took 40 s an image and queued a new user's first tries for minutes).
DEMO_MODEL_DEFAULTS = ModelDefaults(width=256, height=256, steps=20)


def model_defaults(*, is_demo: bool) -> ModelDefaults:
    return DEMO_MODEL_DEFAULTS if is_demo else REAL_MODEL_DEFAULTS


@dataclass(frozen=True)
class CpuExcess:
    """What a request asks beyond a CPU worker's limit: `field` is "size" or "steps"."""

    field: str
    value: int
    limit: int
    setting: str


def cpu_limits_excess(
    *, width: int, height: int, batch_size: int, steps: int, max_pixels: int, max_steps: int
) -> CpuExcess | None:
    pixels = width * height * batch_size
    if pixels > max_pixels:
        return CpuExcess(field="size", value=pixels, limit=max_pixels, setting="SEIDRA_CPU_MAX_PIXELS")
    if steps > max_steps:
        return CpuExcess(field="steps", value=steps, limit=max_steps, setting="SEIDRA_CPU_MAX_STEPS")
    return None


@dataclass(frozen=True)
class BoundExcess:
    """A request value outside its bounds: `field` names it (`loras`: the weight of LoRA `name`)."""

    field: str
    value: float
    low: float
    high: float
    name: str = ""


def request_bounds_excess(
    *,
    is_demo: bool,
    width: int,
    height: int,
    steps: int,
    guidance: float,
    batch_size: int,
    seed: int | None,
    lora_weights: dict[str, float],
) -> BoundExcess | None:
    """The first value of a typed request outside the model's bounds (a size must also be a multiple
    of SIZE_STEP), or None. The engine's own check; the validator applies the same constants field by
    field to name every bad field of a form at once."""
    limits = model_limits(is_demo=is_demo)
    for name, value in (("width", width), ("height", height)):
        if value % SIZE_STEP or not limits.sides[0] <= value <= limits.sides[1]:
            return BoundExcess(name, value, *limits.sides)
    checks = [("steps", steps, limits.steps), ("guidance", guidance, GUIDANCE_RANGE)]
    checks.append(("batch_size", batch_size, BATCH_RANGE))
    if seed is not None:
        checks.append(("seed", seed, (0, MAX_SEED)))
    for name, value, (low, high) in checks:
        if not low <= value <= high:
            return BoundExcess(name, value, low, high)
    for lora, weight in lora_weights.items():
        if not LORA_WEIGHT_RANGE[0] <= weight <= LORA_WEIGHT_RANGE[1]:
            return BoundExcess("loras", weight, *LORA_WEIGHT_RANGE, name=lora)
    return None
