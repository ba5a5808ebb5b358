"""The "Bring characters to life" panel of the Create page: page fields in, the `data` and files of
apps.jobs.video_submit.video_job_create out.

As for images (forms.py), the form only shapes what the page posts: every check is made by the one
video validator, whose errors are put back next to the field they name. Labels and help texts come
from the request model (apps.catalog.video_request VideoRequest), the bounds from its ranges, and
only the options of the engine this server runs are shown (ENGINE_OPTIONS).
"""

from dataclasses import fields

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.catalog.video_request import (
    AUDIO_FORMATS,
    DURATION_RANGE,
    ENGINE_OPTIONS,
    EXPRESSION_SCALE_RANGE,
    POSE_STYLE_RANGE,
    PREPROCESS_CHOICES,
    SIZES,
    VIDEO_ENGINE_LABELS,
    VIDEO_ENGINE_LOCAL,
    VideoRequest,
    video_engine_configured,
)
from apps.core.errors import ParameterError
from apps.gallery.selectors import media_recent
from apps.personas.selectors import persona_list

VIDEO_FIELDS = {item.name: item for item in fields(VideoRequest)}
OPTION_NAMES = ("size", "still", "enhancer", "preprocess", "pose_style", "expression_scale")
# The character image: at most one of these (the validator says so when several are given).
CHARACTER_FIELDS = ("reference_image", "reference_image_url", "reference_media_id", "persona")
GALLERY_PICKS = 24  # the newest images offered as the character
DURATION_STEP = 0.1
EXPRESSION_SCALE_STEP = 0.1
# Browsers filter the file dialog by these; the server checks the content, never the name.
AUDIO_ACCEPT = ",".join(f".{name}" for name in AUDIO_FORMATS) + ",audio/wav,audio/mpeg,audio/ogg"
IMAGE_ACCEPT = "image/png,image/jpeg,image/webp"


def _label(name: str):
    return _(VIDEO_FIELDS[name].metadata["label"])


def _help(name: str):
    text = VIDEO_FIELDS[name].metadata["help"]
    return _(text) if text else ""


def _default(name: str):
    return VIDEO_FIELDS[name].default


def _number(low, high, step, **attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": f"{low:g}", "max": f"{high:g}", "step": f"{step:g}", **attrs})


class VideoJobForm(forms.Form):
    prompt = forms.CharField(
        label=_label("prompt"), help_text=_help("prompt"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reference_image = forms.FileField(
        label=_("Character image"),
        required=False,
        help_text=_("A front-facing portrait (PNG, JPEG or WebP)."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    reference_image_url = forms.CharField(
        label=_("Reference image URL"),
        required=False,
        help_text=_("Or the address of a public image (http or https)."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    reference_media_id = forms.CharField(
        label=_("Or one from your gallery"), required=False, widget=forms.Select, help_text=_("Your newest images.")
    )
    persona = forms.CharField(
        label=_("Or a persona's reference image"),
        required=False,
        widget=forms.Select,
        help_text=_("Without a reference image of its own, a portrait of it is generated."),
    )
    audio = forms.FileField(
        label=_("Audio track"),
        required=False,  # the validator names it when missing; the browser asks first (required attribute)
        help_text=_("wav, mp3 or ogg, at most the size this server accepts."),
        widget=forms.FileInput(attrs={"accept": AUDIO_ACCEPT, "required": True}),
    )
    duration = forms.CharField(
        label=_label("duration"),
        help_text=_help("duration"),
        required=False,
        widget=_number(*DURATION_RANGE, DURATION_STEP, required=True),
    )
    size = forms.ChoiceField(
        label=_("Resolution"),  # beside the image form's "Size": a label that does not contain it
        help_text=_help("size"),
        required=False,
        choices=[(str(side), f"{side} × {side}") for side in SIZES],
    )
    still = forms.BooleanField(label=_label("still"), help_text=_help("still"), required=False)
    enhancer = forms.BooleanField(label=_label("enhancer"), help_text=_help("enhancer"), required=False)
    preprocess = forms.ChoiceField(
        label=_label("preprocess"),
        help_text=_help("preprocess"),
        required=False,
        choices=[(name, name) for name in PREPROCESS_CHOICES],
    )
    pose_style = forms.CharField(
        label=_label("pose_style"), help_text=_help("pose_style"), required=False, widget=_number(*POSE_STYLE_RANGE, 1)
    )
    expression_scale = forms.CharField(
        label=_label("expression_scale"),
        help_text=_help("expression_scale"),
        required=False,
        widget=_number(*EXPRESSION_SCALE_RANGE, EXPRESSION_SCALE_STEP),
    )

    def __init__(self, *args, owner: User, engine: str | None = None, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "video")  # beside the image form on one page: ids of its own
        super().__init__(*args, **kwargs)
        self.engine = engine or video_engine_configured()
        # Only the options this server's engine uses (any other would be refused).
        for name in OPTION_NAMES:
            if name not in ENGINE_OPTIONS[self.engine]:
                del self.fields[name]
            else:
                self.initial.setdefault(name, _default(name))
        images = media_recent(owner=owner, limit=GALLERY_PICKS)
        self.fields["reference_media_id"].widget.choices = [
            ("", _("None")),
            *((str(media.id), self._media_label(media)) for media in images),
        ]
        personas = persona_list(owner=owner)
        self.fields["persona"].widget.choices = [("", _("None")), *((str(p.id), p.name) for p in personas)]

    @staticmethod
    def _media_label(media) -> str:
        prompt = str((media.parameters or {}).get("prompt") or "").strip() or _("(no prompt)")
        when = media.created.strftime("%Y-%m-%d %H:%M")
        return f"{prompt[:60]}{'…' if len(prompt) > 60 else ''} · {when}"

    @property
    def engine_label(self) -> str:
        return VIDEO_ENGINE_LABELS[self.engine]

    @property
    def engine_is_local(self) -> bool:
        return self.engine == VIDEO_ENGINE_LOCAL

    def character_fields(self) -> list:
        return [self[name] for name in CHARACTER_FIELDS]

    def option_fields(self) -> list:
        return [self[name] for name in OPTION_NAMES if name in self.fields]

    def files_were_sent(self) -> bool:
        return bool(self.files and any(self.files.get(self.add_prefix(name)) for name in ("audio", "reference_image")))

    def submission(self) -> tuple[dict, object, object]:
        """What video_job_create takes: the fields as posted (blank ones left out), the audio upload
        and the character upload."""
        cleaned = self.cleaned_data
        data = {}
        for name in ("prompt", "duration", "reference_image_url", "reference_media_id", "persona"):
            value = (cleaned.get(name) or "").strip()
            if value:
                data[name] = value
        for name in OPTION_NAMES:
            if name not in self.fields:
                continue
            value = cleaned.get(name)
            if isinstance(value, bool):
                data[name] = "true" if value else "false"
            elif value not in (None, ""):
                data[name] = str(value).strip()
        return data, cleaned.get("audio"), cleaned.get("reference_image")

    def add_parameter_errors(self, error: ParameterError) -> None:
        """Each message next to the field it names; a name the panel has no field for goes on top."""
        for name, message in error.errors.items():
            self.add_error(name if name in self.fields else None, message)
