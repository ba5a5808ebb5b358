"""Generation parameters read back from a PNG made by SEIDRA, AUTOMATIC1111/Forge or ComfyUI.

The answer uses the names of `POST /api/generation/image`, so the Create page (and a script) can
submit it as is. What cannot be read, or names something this server lacks (a model or a LoRA that
is not installed, a sampler with no SEIDRA equivalent), is left out and named in `unread` with the
reason: the user sees exactly which fields to set by hand.

- SEIDRA writes a `seidra` chunk (JSON, apps/gallery/png_metadata.py).
- AUTOMATIC1111 and Forge write a `parameters` text chunk: the prompt (LoRAs as <lora:name:weight>
  tags), a "Negative prompt:" line and a settings line "Steps: 30, Sampler: ..., CFG scale: 7, ...".
- ComfyUI writes its API-format graph in a `prompt` chunk: the KSampler holds seed, steps, cfg and
  sampler, and links to the text encoders, the latent size and, through LoRA loaders, the checkpoint.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.utils.translation import gettext as _

from apps.catalog.models import InstalledLora, InstalledModel
from apps.catalog.parameters import COMFYUI_SAMPLERS, scheduler_lookup

from .png_chunks import png_text_chunks

SOURCE_SEIDRA = "seidra"
SOURCE_A1111 = "automatic1111"
SOURCE_COMFYUI = "comfyui"
# Every field a generation request takes, in the order the form shows them.
FIELDS = (
    "prompt", "negative_prompt", "model", "loras", "width", "height", "steps", "guidance", "scheduler", "seed",
    "batch_size",
)  # fmt: skip
MODEL_FILE_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".bin", ".sft")


class NoParameters(ValueError):
    """A PNG without parameters any of the three tools writes."""


@dataclass
class ReadParameters:
    source: str
    parameters: dict = field(default_factory=dict)
    unread: dict = field(default_factory=dict)  # field -> why it was not read

    def set(self, name: str, value) -> None:
        if value is None:
            return
        self.parameters[name] = value
        self.unread.pop(name, None)


def _stem(name: str) -> str:
    """A model file's name as people and SEIDRA's catalog name it: no folder, no weights suffix."""
    base = PurePath(str(name).replace("\\", "/")).name
    for suffix in MODEL_FILE_SUFFIXES:
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def _installed_name(names: list[str], wanted: str) -> str | None:
    wanted_stem = _stem(wanted).lower()
    for name in names:
        if name.lower() in (wanted.lower(), wanted_stem):
            return name
    return None


def _set_model(result: ReadParameters, wanted) -> None:
    if not wanted:
        return
    installed = list(InstalledModel.objects.filter(kind="checkpoint").values_list("name", flat=True))
    name = _installed_name(installed, str(wanted))
    if name is None:
        result.unread["model"] = _("The model '%(name)s' is not installed on this server.") % {"name": _stem(wanted)}
    else:
        result.set("model", name)


def _set_loras(result: ReadParameters, wanted: list[tuple[str, float]]) -> None:
    if not wanted:
        return
    installed = list(InstalledLora.objects.values_list("name", flat=True))
    loras, missing = [], []
    for raw_name, weight in wanted:
        name = _installed_name(installed, raw_name)
        if name is None:
            missing.append(_stem(raw_name))
        elif name not in [lora["name"] for lora in loras]:
            loras.append({"name": name, "weight": weight})
    if loras:
        result.set("loras", loras)
    if missing:
        result.unread["loras"] = _("Not installed on this server: %(names)s.") % {"names": ", ".join(missing)}


def _number(value, kind):
    try:
        number = kind(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number


# --- SEIDRA -------------------------------------------------------------------------------------


def _read_seidra(text: str) -> ReadParameters:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise NoParameters(_("The SEIDRA parameters in this PNG are damaged.")) from error
    if not isinstance(data, dict):
        raise NoParameters(_("The SEIDRA parameters in this PNG are damaged."))
    result = ReadParameters(SOURCE_SEIDRA)
    result.set("prompt", data.get("prompt"))
    result.set("negative_prompt", data.get("negative_prompt"))
    _set_model(result, data.get("model"))
    loras = [
        (lora.get("name", ""), lora.get("weight", 1.0)) for lora in data.get("loras") or [] if isinstance(lora, dict)
    ]
    _set_loras(result, loras)
    for name in ("width", "height", "steps", "seed"):
        result.set(name, _number(data.get(name), int))
    result.set("guidance", _number(data.get("guidance"), float))
    _set_scheduler(result, str(data.get("scheduler") or ""))
    result.set("batch_size", 1)  # one file is one image: its own seed makes it again
    return result


def _set_scheduler(result: ReadParameters, *names: str) -> None:
    """The first of `names` SEIDRA knows (a key or a label), else `scheduler` is named as unread."""
    for name in names:
        if name and scheduler_lookup(name):
            result.set("scheduler", scheduler_lookup(name))
            return
    shown = next((name for name in names if name), "")
    if shown:
        result.unread["scheduler"] = _("The sampler '%(name)s' has no equivalent here.") % {"name": shown}


# --- AUTOMATIC1111 / Forge ----------------------------------------------------------------------

# A1111's own reading of its settings line (modules/infotext_utils.py): quoted values may hold commas.
SETTING = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
LORA_TAG = re.compile(r"<(?:lora|lyco):([^:>]+)(?::([^:>]+))?[^>]*>", re.IGNORECASE)
SIZE = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")


def _without_lora_tags(prompt: str) -> tuple[str, list[tuple[str, float]]]:
    loras = [(name.strip(), _number(weight, float) if weight else 1.0) for name, weight in LORA_TAG.findall(prompt)]
    lines = []
    for line in LORA_TAG.sub("", prompt).split("\n"):
        line = re.sub(r"[ \t]*,[ \t]*(,[ \t]*)+", ", ", line)  # the commas around a removed tag
        lines.append(re.sub(r"[ \t]+", " ", line).strip().strip(",").strip())
    text = "\n".join(lines).strip()
    return text, [(name, 1.0 if weight is None else weight) for name, weight in loras]


def _read_a1111(text: str) -> ReadParameters:
    lines = text.strip().split("\n")
    settings_line = lines.pop() if lines and re.match(r"\s*Steps:", lines[-1]) else ""
    prompt_lines, negative_lines, in_negative = [], [], False
    for line in lines:
        if line.startswith("Negative prompt:"):
            in_negative, line = True, line[len("Negative prompt:") :]
        (negative_lines if in_negative else prompt_lines).append(line)
    result = ReadParameters(SOURCE_A1111)
    prompt, loras = _without_lora_tags("\n".join(prompt_lines))
    result.set("prompt", prompt)
    result.set("negative_prompt", "\n".join(negative_lines).strip())
    _set_loras(result, loras)
    settings = {key.strip(): value.strip().strip('"') for key, value in SETTING.findall(settings_line)}
    if not settings:
        result.unread.update({name: _("Not in the file.") for name in ("steps", "guidance", "seed", "scheduler")})
        return result
    result.set("steps", _number(settings.get("Steps"), int))
    result.set("guidance", _number(settings.get("CFG scale"), float))
    result.set("seed", _number(settings.get("Seed"), int))
    size = SIZE.match(settings.get("Size", ""))
    if size:
        result.set("width", int(size.group(1)))
        result.set("height", int(size.group(2)))
    result.set("batch_size", 1)
    sampler, schedule = settings.get("Sampler", ""), settings.get("Schedule type", "")
    with_schedule = f"{sampler} {schedule}" if schedule and schedule.lower() != "automatic" else ""
    _set_scheduler(result, with_schedule, sampler)
    _set_model(result, settings.get("Model"))
    return result


# --- ComfyUI ------------------------------------------------------------------------------------

SAMPLER_NODES = ("KSampler", "KSamplerAdvanced")
TEXT_INPUTS = ("text", "text_g", "string", "value", "prompt")


def _linked(graph: dict, value) -> dict | None:
    """The node an input links to (API format: [node id, output index]), or None for a plain value."""
    if isinstance(value, list) and len(value) == 2 and str(value[0]) in graph:
        node = graph[str(value[0])]
        return node if isinstance(node, dict) else None
    return None


def _scalar(graph: dict, value, depth: int = 0):
    """A plain input value, following links to primitive-like nodes (a seed or a text node)."""
    node = _linked(graph, value)
    if node is None:
        return value
    if depth > 8:
        return None
    inputs = node.get("inputs") or {}
    for name in (*TEXT_INPUTS, "seed", "noise_seed", "int", "float", "number"):
        if name in inputs:
            return _scalar(graph, inputs[name], depth + 1)
    return None


def _text(graph: dict, conditioning) -> str | None:
    encoder = _linked(graph, conditioning)
    if encoder is None:
        return None
    inputs = encoder.get("inputs") or {}
    for name in TEXT_INPUTS:
        if name in inputs:
            text = _scalar(graph, inputs[name])
            return text if isinstance(text, str) else None
    return None


def _model_chain(graph: dict, model_input) -> tuple[str | None, list[tuple[str, float]]]:
    """Follow the sampler's model input back through LoRA loaders (and any node passing a model on)
    to the checkpoint loader."""
    loras, node, seen = [], _linked(graph, model_input), 0
    while node is not None and seen < 64:
        seen += 1
        inputs = node.get("inputs") or {}
        if "ckpt_name" in inputs:
            return _scalar(graph, inputs["ckpt_name"]), list(reversed(loras))
        if "lora_name" in inputs:
            weight = _number(_scalar(graph, inputs.get("strength_model", 1.0)), float)
            loras.append((str(_scalar(graph, inputs["lora_name"])), 1.0 if weight is None else weight))
        node = _linked(graph, inputs.get("model"))
    return None, list(reversed(loras))


def _comfyui_scheduler(sampler_name: str, scheduler: str) -> str | None:
    for key, (sampler, schedule) in COMFYUI_SAMPLERS.items():
        if sampler == sampler_name and (sampler != "dpmpp_2m" or schedule == scheduler):
            return key
    return None


def _read_comfyui(text: str) -> ReadParameters:
    try:
        graph = json.loads(text)
    except ValueError as error:
        raise NoParameters(_("The ComfyUI workflow in this PNG is damaged.")) from error
    if not isinstance(graph, dict):
        raise NoParameters(_("The ComfyUI workflow in this PNG is damaged."))
    graph = {str(key): node for key, node in graph.items() if isinstance(node, dict)}
    samplers = [node for node in graph.values() if node.get("class_type") in SAMPLER_NODES]
    if not samplers:
        raise NoParameters(_("This ComfyUI workflow has no KSampler to read the parameters from."))
    sampler = samplers[0].get("inputs") or {}
    result = ReadParameters(SOURCE_COMFYUI)
    for name, reason in (("prompt", _("positive")), ("negative_prompt", _("negative"))):
        text_value = _text(graph, sampler.get("positive" if name == "prompt" else "negative"))
        if text_value is None:
            result.unread[name] = _("The %(which)s text encoder could not be read.") % {"which": reason}
        result.set(name, text_value)
    result.set("seed", _number(_scalar(graph, sampler.get("seed", sampler.get("noise_seed"))), int))
    result.set("steps", _number(_scalar(graph, sampler.get("steps")), int))
    result.set("guidance", _number(_scalar(graph, sampler.get("cfg")), float))
    sampler_name, schedule = str(_scalar(graph, sampler.get("sampler_name")) or ""), str(sampler.get("scheduler", ""))
    key = _comfyui_scheduler(sampler_name, schedule)
    if key:
        result.set("scheduler", key)
    else:
        shown = f"{sampler_name} / {schedule}"
        result.unread["scheduler"] = _("The sampler '%(name)s' has no equivalent here.") % {"name": shown}
    latent = _linked(graph, sampler.get("latent_image"))
    latent_inputs = (latent or {}).get("inputs") or {}
    for name in ("width", "height", "batch_size"):
        result.set(name, _number(_scalar(graph, latent_inputs.get(name)), int))
    checkpoint, loras = _model_chain(graph, sampler.get("model"))
    _set_loras(result, loras)
    if checkpoint is None:
        result.unread["model"] = _("No checkpoint loader feeds the KSampler.")
    _set_model(result, checkpoint)
    return result


# --- Entry point --------------------------------------------------------------------------------


def png_parameters_from_file(data: bytes) -> ReadParameters:
    """Read the parameters of a PNG (NotPng, NoParameters otherwise); every field not found is named."""
    chunks = png_text_chunks(data)
    if "seidra" in chunks:
        result = _read_seidra(chunks["seidra"])
    elif "parameters" in chunks:
        result = _read_a1111(chunks["parameters"])
    elif "prompt" in chunks:
        result = _read_comfyui(chunks["prompt"])
    else:
        raise NoParameters(
            _("This PNG holds no generation parameters (none from SEIDRA, AUTOMATIC1111, Forge or ComfyUI).")
        )
    for name in FIELDS:
        if name not in result.parameters and name not in result.unread and name != "loras":
            result.unread[name] = _("Not in the file.")
    return result
