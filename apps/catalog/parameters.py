"""The one validator of image-generation parameters, shared by the page form, the API and personas.

It lives with the catalog because every rule it applies is a catalog fact: which models and LoRAs
are installed, each model's bounds, the schedulers; so personas (which check their defaults with it)
and jobs (which compose a persona's defaults with the user's fields, then validate) both sit above it.

It applies the engine's bounds (apps/catalog/limits.py, which the engine reads too: per model, and the
CPU limits when SEIDRA_DEVICE=cpu says the workers have no GPU) so a mistake is reported at submit
time, next to its field, instead of as a failed job minutes later; the engine keeps its checks for
jobs that reach it by another way, and applies the CPU limits whenever it runs on a CPU.
Every string is checked with apps.core.text (no NUL, no lone surrogate) before it is looked up or stored.

The model field names a local checkpoint, a ComfyUI server's checkpoint or an enabled staff workflow
template; ComfyUI models and templates take the real-model bounds, and the CPU limits apply to local
models only (a ComfyUI server has its own device). LoRAs must exist for the model's engine.
The answer is an ImageRequest (apps/catalog/request.py), the one typed request the job row stores.
"""

from dataclasses import dataclass, fields

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import ParameterError  # noqa: F401 - re-exported: the jobs app's callers catch it here
from apps.core.text import text_problem

from .limits import (  # noqa: F401 - re-exported for the form and the API schema
    BATCH_RANGE,
    DEMO_MODEL_SIDES,
    DEMO_MODEL_STEPS,
    GUIDANCE_RANGE,
    LORA_WEIGHT_RANGE,
    MAX_SEED,
    REAL_MODEL_SIDES,
    SIZE_STEP,
    STEPS_RANGE,
    WIDEST_SIDES,
    WIDEST_STEPS,
    ModelLimits,
    cpu_limits_excess,
    model_defaults,
    model_limits,
)
from .models import InstalledLora, InstalledModel, LoraKeyFormat
from .request import ENGINE_COMFYUI, ENGINE_LOCAL, ImageRequest, LoraChoice
from .selectors import default_model_name, template_get_enabled

# Keys and labels of workers/engines/sdxl/schedulers.py (a test keeps the two in step).
SCHEDULERS = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "dpmpp_2m_karras": "DPM++ 2M Karras",
    "ddim": "DDIM",
    "unipc": "UniPC",
}
DEFAULT_SCHEDULER = next(item.default for item in fields(ImageRequest) if item.name == "scheduler")
# The same samplers as ComfyUI's KSampler names them: (sampler_name, scheduler). Read from ComfyUI
# workflows (apps/gallery/parameters_read.py) by their sampler; ComfyUI's scheduler must match for DPM++ 2M.
COMFYUI_SAMPLERS = {
    "euler": ("euler", "normal"),
    "euler_a": ("euler_ancestral", "normal"),
    "dpmpp_2m_karras": ("dpmpp_2m", "karras"),
    "ddim": ("ddim", "ddim_uniform"),
    "unipc": ("uni_pc", "normal"),
}


def scheduler_lookup(name: str) -> str | None:
    """The scheduler key for a key or a label (`dpmpp_2m_karras`, `DPM++ 2M Karras`), any case; None if unknown."""
    wanted = name.strip().lower()
    for key, label in SCHEDULERS.items():
        if wanted in (key, label.lower()):
            return key
    return None


SIZE_PRESETS = ((1024, 1024), (1152, 896), (896, 1152), (1216, 832), (832, 1216), (1344, 768), (768, 1344))
MAX_LORAS = 5
MAX_PROMPT_CHARS = 2000
# The same for every model; the size and the steps depend on the model (limits.model_defaults).
DEFAULTS = {item.name: item.default for item in fields(ImageRequest) if item.name in ("guidance", "batch_size")}


def _number(data: dict, name: str, kind: type, low, high, errors: dict, *, demo: bool = False):
    value = data.get(name, DEFAULTS.get(name))
    if value is None or value == "":
        errors[name] = _("This field is required.")
        return None
    if isinstance(value, bool):
        errors[name] = _("Expected a number.")
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        errors[name] = _("Expected a number.")
        return None
    if kind is int and isinstance(value, float) and value != number:
        errors[name] = _("Expected a whole number.")
        return None
    if not low <= number <= high:
        if demo:  # say which limit it is: the same number is fine on a real model
            errors[name] = _("Must be between %(low)s and %(high)s on the demo model.") % {"low": low, "high": high}
        else:
            errors[name] = _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
        return None
    return number


def _size(data: dict, name: str, limits: ModelLimits, errors: dict, *, demo: bool) -> int | None:
    value = _number(data, name, int, *limits.sides, errors, demo=demo)
    if value is not None and value % SIZE_STEP:
        errors[name] = _("Must be a multiple of %(step)s.") % {"step": SIZE_STEP}
        return None
    return value


def _clean_string(value, name: str, errors: dict) -> str | None:
    """The text itself, or None (with the reason under `name`) when it is not text a database can hold."""
    if not isinstance(value, str):
        errors[name] = _("Expected text.")
        return None
    problem = text_problem(value)
    if problem:
        errors[name] = problem
        return None
    return value


def _text(data: dict, name: str, *, required: bool, errors: dict) -> str:
    value = _clean_string(data.get(name) or "", name, errors)
    if value is None:
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > MAX_PROMPT_CHARS:
        errors[name] = _("At most %(count)s characters.") % {"count": MAX_PROMPT_CHARS}
    return value


@dataclass(frozen=True)
class _Target:
    """What the model field named: the facts the other fields are checked against."""

    name: str
    engine: str
    is_demo: bool = False
    servers: frozenset = frozenset()  # ComfyUI checkpoints: the servers that list it
    is_template: bool = False


def _model(data: dict, errors: dict) -> _Target | None:
    # Omitted or null: the default model. An empty name is a mistake (a blank variable in a script),
    # not a request for the default: it is refused, so the job never runs on a model nobody chose.
    name = _clean_string(default_model_name() if data.get("model") is None else data["model"], "model", errors)
    if name is None:
        return None
    if not name.strip():
        errors["model"] = _("Empty: name an installed model, or leave the field out for the default model.")
        return None
    model = InstalledModel.objects.filter(name=name, kind="checkpoint").first()
    if model is not None:
        demo = model.engine == ENGINE_LOCAL and model.is_demo
        servers = frozenset(model.servers or ())
        return _Target(name=model.name, engine=model.engine, is_demo=demo, servers=servers)
    if template_get_enabled(name) is not None:
        return _Target(name=name, engine=ENGINE_COMFYUI, is_template=True)
    errors["model"] = _("No model named '%(name)s' is installed.") % {"name": name}
    return None


def _lora_problem(name: str, target: _Target | None) -> str | None:
    """Why this LoRA cannot run with the chosen model (None: it can)."""
    missing = _("No LoRA named '%(name)s' is installed.") % {"name": name}
    if target is None:  # the model field has its own error: only say whether the LoRA exists at all
        return None if InstalledLora.objects.filter(name=name).exists() else missing
    if target.engine == ENGINE_LOCAL:
        return None if InstalledLora.objects.filter(name=name, engine=ENGINE_LOCAL).exists() else missing
    lora = InstalledLora.objects.filter(name=name, engine=ENGINE_COMFYUI).first()
    if lora is None or not target.servers & set(lora.servers or ()):
        return _("No ComfyUI server that has model '%(model)s' lists a LoRA named '%(name)s'.") % {
            "model": target.name,
            "name": name,
        }
    if lora.key_format == LoraKeyFormat.DIFFUSERS:
        return _(
            "LoRA '%(name)s' is in diffusers format: ComfyUI would silently ignore it (it reads kohya-format "
            "keys). Use a kohya-format file, or a local model."
        ) % {"name": name}
    return None


def _loras(data: dict, target: _Target | None, errors: dict) -> list[dict]:
    raw = data.get("loras") or []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        errors["loras"] = _("Expected a list of {name, weight} objects.")
        return []
    if raw and target is not None and target.is_template:
        errors["loras"] = _("A workflow template takes no LoRAs: its workflow decides what it applies.")
        return []
    if len(raw) > MAX_LORAS:
        errors["loras"] = _("At most %(count)s LoRAs per job.") % {"count": MAX_LORAS}
        return []
    loras, seen = [], set()
    for item in raw:
        name = item.get("name")
        problem = text_problem(name) if isinstance(name, str) else None
        if problem:
            errors["loras"] = problem
            return []
        if not isinstance(name, str):
            errors["loras"] = _("No LoRA named '%(name)s' is installed.") % {"name": name}
            return []
        if lora_problem := _lora_problem(name, target):
            errors["loras"] = lora_problem
            return []
        if name in seen:
            errors["loras"] = _("LoRA '%(name)s' is listed twice.") % {"name": name}
            return []
        seen.add(name)
        weight_errors: dict = {}
        weight = _number({"weight": item.get("weight", 1.0)}, "weight", float, *LORA_WEIGHT_RANGE, weight_errors)
        if weight_errors:
            problem = weight_errors["weight"]
            errors["loras"] = _("Weight of '%(name)s': %(problem)s") % {"name": name, "problem": problem}
            return []
        loras.append({"name": name, "weight": weight})
    return loras


def _scheduler(data: dict, errors: dict) -> str:
    wanted = str(data.get("scheduler") or DEFAULT_SCHEDULER).strip().lower()
    problem = text_problem(wanted)
    if problem:
        errors["scheduler"] = problem
        return DEFAULT_SCHEDULER
    key = scheduler_lookup(wanted)
    if key is not None:
        return key
    errors["scheduler"] = _("Unknown scheduler; use one of %(names)s.") % {"names": ", ".join(SCHEDULERS)}
    return DEFAULT_SCHEDULER


def _seed(data: dict, errors: dict) -> int | None:
    value = data.get("seed")
    if value is None or value == "" or value == -1:
        return None  # drawn by the worker, and stored with the outputs
    return _number(data, "seed", int, 0, MAX_SEED, errors)


def image_parameters_clean(data: dict) -> ImageRequest:
    """The validated, normalised request of an image job, or ParameterError naming each bad field."""
    if not isinstance(data, dict):
        raise ParameterError({"non_field_errors": _("Expected a JSON object.")})
    errors: dict[str, str] = {}
    target = _model(data, errors)
    demo = target is not None and target.is_demo
    limits = model_limits(is_demo=demo)
    defaults = model_defaults(is_demo=demo)
    # Left out: the model's own defaults (an explicit null or "" stays "required").
    data = {"width": defaults.width, "height": defaults.height, "steps": defaults.steps, **data}
    cleaned = {
        "prompt": _text(data, "prompt", required=True, errors=errors),
        "negative_prompt": _text(data, "negative_prompt", required=False, errors=errors),
        "model": target.name if target else None,
        "loras": _loras(data, target, errors),
        "width": _size(data, "width", limits, errors, demo=demo),
        "height": _size(data, "height", limits, errors, demo=demo),
        "steps": _number(data, "steps", int, *limits.steps, errors, demo=demo),
        "guidance": _number(data, "guidance", float, *GUIDANCE_RANGE, errors),
        "scheduler": _scheduler(data, errors),
        "seed": _seed(data, errors),
        "batch_size": _number(data, "batch_size", int, *BATCH_RANGE, errors),
    }
    if not errors and target.engine == ENGINE_LOCAL:  # a ComfyUI server's device is not ours to limit
        _check_cpu_limits(cleaned, errors)
    if errors:
        raise ParameterError(errors)
    loras = tuple(LoraChoice(name=lora["name"], weight=lora["weight"]) for lora in cleaned.pop("loras"))
    return ImageRequest(**cleaned, loras=loras)


def cpu_workers_declared() -> bool:
    """Whether the operator said the workers generate on the CPU (SEIDRA_DEVICE=cpu): then the CPU
    limits are checked at submit time too. With `auto` only the worker knows its device."""
    return settings.SEIDRA_DEVICE == "cpu"


def _check_cpu_limits(cleaned: dict, errors: dict) -> None:
    if not cpu_workers_declared():
        return
    excess = cpu_limits_excess(
        width=cleaned["width"], height=cleaned["height"], batch_size=cleaned["batch_size"], steps=cleaned["steps"],
        max_pixels=settings.SEIDRA_CPU_MAX_PIXELS, max_steps=settings.SEIDRA_CPU_MAX_STEPS,
    )  # fmt: skip
    if excess is None:
        return
    if excess.field == "steps":
        errors["steps"] = _("At most %(limit)s steps on this server's CPU workers (%(setting)s).") % {
            "limit": excess.limit,
            "setting": excess.setting,
        }
    else:
        errors["batch_size"] = _(
            "Width × height × images is %(value)s pixels; this server's CPU workers take at most %(limit)s "
            "(%(setting)s). Choose a smaller size or fewer images."
        ) % {"value": excess.value, "limit": excess.limit, "setting": excess.setting}
