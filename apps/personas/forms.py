"""The persona page's form: shapes what the page posts (LoRA checkboxes and weights, a file) into the
data apps.personas.services checks; every check of a value is the service's, whose errors are put
back next to their field."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import InstalledLora, InstalledModel
from apps.catalog.parameters import (
    GUIDANCE_RANGE,
    LORA_WEIGHT_RANGE,
    MAX_SEED,
    SCHEDULERS,
    SIZE_STEP,
    WIDEST_SIDES,
    WIDEST_STEPS,
    ParameterError,
)

from .reference_image import MAX_BYTES

LORA_WEIGHT_PREFIX = "lora_weight:"
# Fields whose value the service takes as the page posts it (text; numbers as typed).
PLAIN_FIELDS = (
    "name", "description", "prompt_template", "negative_prompt", "model",
    "seed", "width", "height", "steps", "guidance", "scheduler", "reference_media_id",
)  # fmt: skip


def _number(low, high, step) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "step": step})


class PersonaForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"autofocus": True}))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    prompt_template = forms.CharField(
        label=_("Prompt template"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "{prompt} marks where the prompt typed on the Create page goes; without it, that prompt is added "
            "at the end."
        ),
    )
    negative_prompt = forms.CharField(
        label=_("Negative prompt"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    model = forms.CharField(label=_("Model"), required=False, widget=forms.Select)
    seed = forms.CharField(
        label=_("Seed"), required=False, help_text=_("Empty for a new seed each time."), widget=_number(0, MAX_SEED, 1)
    )
    width = forms.CharField(label=_("Width"), required=False, widget=_number(*WIDEST_SIDES, SIZE_STEP))
    height = forms.CharField(label=_("Height"), required=False, widget=_number(*WIDEST_SIDES, SIZE_STEP))
    steps = forms.CharField(label=_("Steps"), required=False, widget=_number(*WIDEST_STEPS, 1))
    guidance = forms.CharField(label=_("Guidance"), required=False, widget=_number(*GUIDANCE_RANGE, 0.1))
    scheduler = forms.CharField(label=_("Scheduler"), required=False, widget=forms.Select)
    reference_image = forms.FileField(
        label=_("Reference image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    reference_media_id = forms.CharField(required=False, widget=forms.HiddenInput)
    nsfw_allowed = forms.BooleanField(
        label=_("NSFW allowed"),
        required=False,
        help_text=_("Off: a short phrase steering away from nudity is added to the negative prompt of its jobs."),
    )

    def __init__(self, *args, models: list[InstalledModel], loras: list[InstalledLora], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.installed_loras = loras
        self.fields["model"].widget.choices = [
            ("", _("The server's default model")),
            *((m.name, m.name) for m in models),
        ]
        self.fields["scheduler"].widget.choices = [("", _("The default scheduler")), *SCHEDULERS.items()]
        self.fields["width"].help_text = gettext("Empty: the model's default size and steps.")
        self.fields["reference_image"].help_text = gettext("JPEG, PNG or WebP, at most %(megabytes)s MB.") % {
            "megabytes": MAX_BYTES // (1024 * 1024)
        }

    # --- LoRAs: one checkbox and one weight per installed LoRA, as on the Create page.

    def _initial_loras(self) -> dict[str, float]:
        return {lora["name"]: lora["weight"] for lora in self.initial.get("loras") or [] if isinstance(lora, dict)}

    def lora_rows(self) -> list[dict]:
        chosen = set(self.data.getlist("loras")) if self.is_bound else set(self._initial_loras())
        rows = []
        for index, lora in enumerate(self.installed_loras):
            name = f"{LORA_WEIGHT_PREFIX}{lora.name}"
            weight = self.data.get(name) if self.is_bound else self._initial_loras().get(lora.name)
            rows.append(
                {
                    "lora": lora,
                    "checked": lora.name in chosen,
                    "weight": f"{lora.default_weight:g}" if weight in (None, "") else weight,
                    "weight_name": name,
                    "id": f"id_lora_{index}",
                }
            )
        return rows

    lora_weight_range = LORA_WEIGHT_RANGE

    def persona_data(self) -> dict:
        """The data for persona_create / persona_update."""
        data = {name: self.cleaned_data.get(name) or "" for name in PLAIN_FIELDS}
        data["nsfw_allowed"] = bool(self.cleaned_data.get("nsfw_allowed"))
        data["loras"] = [
            {"name": name, "weight": self.data.get(f"{LORA_WEIGHT_PREFIX}{name}") or 1.0}
            for name in self.data.getlist("loras")
        ]
        return data

    def add_parameter_errors(self, error: ParameterError) -> None:
        for name, message in error.errors.items():
            if name not in self.errors:
                self.add_error(name if name in self.fields and name != "reference_media_id" else None, message)
