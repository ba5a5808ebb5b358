"""The "Create new artwork" form: page fields in, the `parameters` of an image job out.

The form only shapes what the page posts (size presets, LoRA checkboxes and sliders, an empty
seed for a random one); every check of a value is made by apps.catalog.parameters, the validator
the API uses too, and its errors are put back next to the field they name. Each field's label,
help text and bounds come from the one request model (apps.catalog.request ImageRequest) and
apps.catalog.limits.
"""

import json
from dataclasses import fields

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.catalog.limits import FIELD_BOUNDS, FIELD_INCREMENTS
from apps.catalog.models import InstalledLora, InstalledModel
from apps.catalog.offers import model_choice_groups, model_choices
from apps.catalog.parameters import (
    DEFAULT_SCHEDULER,
    DEFAULTS,
    LORA_WEIGHT_RANGE,
    SCHEDULERS,
    SIZE_PRESETS,
    SIZE_STEP,
    ParameterError,
    model_defaults,
    model_limits,
    scheduler_lookup,
)
from apps.catalog.request import ENGINE_LOCAL, ImageRequest
from apps.personas.composition import DEFAULT_FIELDS
from apps.personas.models import Persona
from apps.personas.selectors import persona_list

from .parameters import job_parameters_clean

CUSTOM_SIZE = "custom"
LORA_WEIGHT_PREFIX = "lora_weight:"
LORA_WEIGHT_STEP = 0.05


def _size_value(width: int, height: int) -> str:
    return f"{width}x{height}"


def _size_choice(width: int, height: int) -> str:
    """The size menu's entry for a size: its preset, else "custom" (the demo model's sizes are below every preset)."""
    return _size_value(width, height) if (width, height) in SIZE_PRESETS else CUSTOM_SIZE


def _number_input(low, high, step) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "step": step})


def _gpu_declared() -> bool:
    return settings.SEIDRA_DEVICE.startswith(("cuda", "mps"))


def _cpu_limits_may_apply(model: InstalledModel | None) -> bool:
    """With SEIDRA_DEVICE=auto only the worker knows whether it has a GPU; a ComfyUI server's
    device is its own (apps.catalog.parameters applies the CPU limits to local models only)."""
    return not _gpu_declared() and (model is None or model.engine == ENGINE_LOCAL)


def size_help(model: InstalledModel | None) -> str:
    limits = model_limits(is_demo=bool(model and model.is_demo))
    low, high = limits.sides
    text = gettext("Width and height from %(low)s to %(high)s pixels, multiples of %(step)s.") % {
        "low": low,
        "high": high,
        "step": SIZE_STEP,
    }
    if _cpu_limits_may_apply(model):
        text += " " + gettext(
            "A worker without a GPU takes at most %(pixels)s pixels per job (width × height × images)."
        ) % {"pixels": number_format(settings.SEIDRA_CPU_MAX_PIXELS, force_grouping=True)}
    return text


def steps_help(model: InstalledModel | None) -> str:
    limits = model_limits(is_demo=bool(model and model.is_demo))
    text = gettext("At most %(steps)s steps with this model.") % {"steps": limits.steps[1]}
    if _cpu_limits_may_apply(model):
        text += " " + gettext("At most %(steps)s on a worker without a GPU.") % {"steps": settings.SEIDRA_CPU_MAX_STEPS}
    return text


class ModelSelect(forms.Select):
    """Each model option carries its limits and defaults, so the page can update the help texts, the
    inputs' bounds and the untouched size and steps when another model is chosen
    (static/js/job-form.js); the server checks the limits anyway."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.option_data: dict[str, dict] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class PersonaSelect(ModelSelect):
    """Each persona option carries its defaults (data-defaults, JSON) and its template and negative
    prompt, which static/js/job-form.js puts into the form's fields and shows; the server composes."""

    @staticmethod
    def persona_data(persona: Persona) -> dict:
        defaults = {name: getattr(persona, name) for name in DEFAULT_FIELDS}
        defaults["loras"] = persona.loras
        return {
            "data-defaults": json.dumps(defaults),
            "data-template": persona.prompt_template,
            "data-negative": persona.negative_prompt,
        }


REQUEST_FIELDS = {item.name: item for item in fields(ImageRequest)}


def _label(name: str):
    """The request model's label of a field (apps.catalog.request), translated when shown."""
    return _(REQUEST_FIELDS[name].metadata["label"])


def _help(name: str):
    text = REQUEST_FIELDS[name].metadata["help"]
    return _(text) if text else ""


def _number_field(name: str) -> forms.CharField:
    """A number of the request: its label and help, and its widest bounds (apps.catalog.limits) on the
    input; the chosen model's own are set in __init__ (and by the page's script when the model changes),
    and the validator applies them."""
    widget = _number_input(*FIELD_BOUNDS[name], FIELD_INCREMENTS[name])
    return forms.CharField(label=_label(name), required=False, help_text=_help(name), widget=widget)


class ImageJobForm(forms.Form):
    persona = forms.CharField(
        label=_label("persona"),
        required=False,
        widget=PersonaSelect,
        help_text=_(
            "Its template wraps your prompt (at {prompt}, or after it), its negative prompt comes before yours "
            "and its LoRAs always apply (a weight of 0 turns one off). The fields below start on its defaults."
        ),
    )
    prompt = forms.CharField(
        label=_label("prompt"),
        help_text=_help("prompt"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
    )
    negative_prompt = forms.CharField(
        label=_label("negative_prompt"),
        help_text=_help("negative_prompt"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Plain text fields behind select widgets: an unknown name is reported by the shared
    # validator ("No model named ... is installed"), not by a generic "invalid choice".
    model = forms.CharField(label=_label("model"), help_text=_help("model"), required=False, widget=ModelSelect)
    loras = forms.Field(label=_label("loras"), required=False, widget=forms.MultipleHiddenInput)
    size = forms.ChoiceField(label=_("Size"))
    width = _number_field("width")
    height = _number_field("height")
    steps = _number_field("steps")
    guidance = _number_field("guidance")
    scheduler = forms.CharField(
        label=_label("scheduler"), help_text=_help("scheduler"), required=False, widget=forms.Select
    )
    seed = _number_field("seed")
    batch_size = _number_field("batch_size")

    def __init__(
        self,
        *args,
        models: list[InstalledModel],
        loras: list[InstalledLora],
        default_model: str,
        owner: User,
        **kwargs,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.installed_loras = loras
        personas = list(persona_list(owner=owner))
        self.fields["persona"].widget.choices = [("", _("None")), *((str(p.id), p.name) for p in personas)]
        self.fields["persona"].widget.option_data = {str(p.id): PersonaSelect.persona_data(p) for p in personas}
        if not self.is_bound and self.initial.get("persona"):  # ?persona=: its defaults go in on load
            self.fields["persona"].widget.attrs["data-prefill"] = "1"
        # Local models, each ComfyUI server's, then the workflow templates (grouped when not all local).
        choices = model_choices(models)
        self.fields["model"].widget.choices = model_choice_groups(choices, self._model_label)
        self.fields["model"].widget.option_data = {
            choice.name: {**self._limits_data(choice), **choice.option_attrs()} for choice in choices
        }
        self.fields["scheduler"].widget.choices = list(SCHEDULERS.items())
        self.fields["size"].choices = [
            *((_size_value(width, height), f"{width} × {height}") for width, height in SIZE_PRESETS),
            (CUSTOM_SIZE, _("Custom")),
        ]
        names = [choice.name for choice in choices]
        self.initial.setdefault("model", default_model if default_model in names else (names or [""])[0])
        chosen_name = self.data.get("model") if self.is_bound else self.initial["model"]
        chosen = next((choice for choice in choices if choice.name == chosen_name), None)
        self._show_limits(chosen)
        defaults = model_defaults(is_demo=bool(chosen and chosen.is_demo))
        self.initial.setdefault("size", _size_choice(defaults.width, defaults.height))
        self.initial.setdefault("width", defaults.width)
        self.initial.setdefault("height", defaults.height)
        self.initial.setdefault("steps", defaults.steps)
        self.initial.setdefault("guidance", DEFAULTS["guidance"])
        self.initial.setdefault("scheduler", DEFAULT_SCHEDULER)
        self.initial.setdefault("batch_size", DEFAULTS["batch_size"])

    @staticmethod
    def initial_from_parameters(parameters: dict, *, installed_loras: list[str]) -> tuple[dict, list[str]]:
        """The form's initial values to make an image again (Remix): its parameters, its own seed and
        one image. Also the names of what this server no longer has (left out, to say so)."""
        scheduler = scheduler_lookup(str(parameters.get("scheduler") or "")) or DEFAULT_SCHEDULER
        loras = [lora for lora in parameters.get("loras") or [] if isinstance(lora, dict)]
        missing = [lora.get("name", "") for lora in loras if lora.get("name") not in installed_loras]
        initial = {
            "prompt": parameters.get("prompt", ""),
            "negative_prompt": parameters.get("negative_prompt", ""),
            "loras": [lora for lora in loras if lora.get("name") in installed_loras],
            "guidance": parameters.get("guidance", DEFAULTS["guidance"]),
            "scheduler": scheduler,
            "seed": parameters.get("seed"),
            "batch_size": 1,  # one image: with its own seed it comes out the same
        }
        if parameters.get("model"):
            initial["model"] = parameters["model"]
        if parameters.get("width") and parameters.get("height"):
            width, height = int(parameters["width"]), int(parameters["height"])
            initial.update(width=width, height=height, size=_size_choice(width, height))
        if parameters.get("steps"):
            initial["steps"] = parameters["steps"]
        return {name: value for name, value in initial.items() if value is not None}, missing

    def _show_limits(self, model: InstalledModel | None) -> None:
        """The chosen model's bounds on the inputs and in the help texts next to them."""
        limits = model_limits(is_demo=bool(model and model.is_demo))
        for name in ("width", "height"):
            self.fields[name].widget.attrs.update({"min": limits.sides[0], "max": limits.sides[1]})
        self.fields["steps"].widget.attrs.update({"min": limits.steps[0], "max": limits.steps[1]})
        self.fields["size"].help_text = size_help(model)
        self.fields["steps"].help_text = steps_help(model)

    @staticmethod
    def _limits_data(model: InstalledModel) -> dict:
        limits = model_limits(is_demo=model.is_demo)
        defaults = model_defaults(is_demo=model.is_demo)
        return {
            "data-default-width": defaults.width,
            "data-default-height": defaults.height,
            "data-default-steps": defaults.steps,
            "data-min-side": limits.sides[0],
            "data-max-side": limits.sides[1],
            "data-min-steps": limits.steps[0],
            "data-max-steps": limits.steps[1],
            "data-size-help": size_help(model),
            "data-steps-help": steps_help(model),
        }

    @staticmethod
    def _model_label(model: InstalledModel) -> str:
        if model.is_demo:
            return gettext("%(name)s (demo, random weights: images are noise)") % {"name": model.name}
        return model.name

    # --- LoRA block, rendered by hand: one checkbox and one weight slider per installed LoRA.

    def _lora_weight_raw(self, name: str):
        return self.data.get(f"{LORA_WEIGHT_PREFIX}{name}") if self.is_bound else None

    def lora_rows(self) -> list[dict]:
        # Unbound (a Remix), the chosen LoRAs and their weights come from `initial["loras"]`.
        initial_weights = {lora["name"]: lora.get("weight") for lora in self.initial.get("loras") or []}
        chosen = set(self.data.getlist("loras")) if self.is_bound else set(initial_weights)
        rows = []
        for index, lora in enumerate(self.installed_loras):
            low, high = LORA_WEIGHT_RANGE
            weight = self._lora_weight_raw(lora.name)
            if weight in (None, "") and initial_weights.get(lora.name) is not None:
                weight = f"{min(max(float(initial_weights[lora.name]), low), high):g}"
            if weight in (None, ""):
                weight = f"{min(max(lora.default_weight, low), high):g}"
            rows.append(
                {
                    "lora": lora,
                    "checked": lora.name in chosen,
                    "weight": weight,
                    "weight_name": f"{LORA_WEIGHT_PREFIX}{lora.name}",
                    "id": f"id_lora_{index}",
                }
            )
        return rows

    lora_weight_range = LORA_WEIGHT_RANGE
    lora_weight_step = LORA_WEIGHT_STEP

    # --- Parameters.

    def _loras(self) -> list[dict]:
        defaults = {lora.name: lora.default_weight for lora in self.installed_loras}
        chosen = []
        for name in self.cleaned_data.get("loras") or []:
            weight = self._lora_weight_raw(name)
            chosen.append({"name": name, "weight": defaults.get(name, 1.0) if weight in (None, "") else weight})
        return chosen

    def _size(self) -> tuple:
        size = self.cleaned_data.get("size")
        if size and size != CUSTOM_SIZE:
            width, height = size.split("x")
            return int(width), int(height)
        return self.cleaned_data.get("width"), self.cleaned_data.get("height")

    def clean(self) -> dict:
        cleaned = super().clean()
        width, height = self._size()
        # The request's fields as posted, by their names (a new request field with a form field of the
        # same name comes through as it is), then the page's own shapes: size menu, LoRA rows, blanks.
        data = {name: cleaned.get(name) for name in REQUEST_FIELDS if name in self.fields and name != "persona"}
        data.update(
            model=cleaned.get("model") or None,
            loras=self._loras(),
            width=width,
            height=height,
            seed=cleaned.get("seed") or "",
        )
        if cleaned.get("persona"):  # the posted fields are the explicit ones: the server composes
            data["persona"] = cleaned["persona"]
        try:
            job_parameters_clean(owner=self.owner, data=data)
        except ParameterError as error:
            self.add_parameter_errors(error)
        # What the page asked for: job_create composes and validates it (again, as the catalog may change).
        cleaned["parameters"] = data
        return cleaned

    def add_parameter_errors(self, error: ParameterError) -> None:
        """Each message next to the field it names; a name the page has no field for goes on top.
        A field that already failed its own check (a NUL character) keeps that one message."""
        preset = (self.cleaned_data.get("size") or CUSTOM_SIZE) != CUSTOM_SIZE
        for name, message in error.errors.items():
            if name in ("width", "height") and preset:
                name = "size"  # width and height are hidden behind a preset: say it at the size menu
            if name in self.errors:
                continue
            self.add_error(name if name in self.fields else None, message)
