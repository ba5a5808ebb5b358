"""The typed request of a talking-character video job, and the facts of the video engines.

One request model, as for images (apps/catalog/request.py): the validator returns a `VideoRequest`
(apps/jobs/video_submit.py), the job row stores `to_json()`, the worker unpacks `from_json()`, and
the gallery keeps it in the video's parameters.

Two engines make the lip-sync (`video_engine_configured`): a SadTalker service on a GPU box when
SEIDRA_SADTALKER_URL is set (ops/sadtalker/), otherwise the local engine, which only approximates
mouth motion on the CPU (workers/video/local_motion/) and says so wherever its results are shown.
"""

from dataclasses import asdict, dataclass, field, fields

from django.conf import settings
from django.utils.translation import gettext_lazy as _

VIDEO_ENGINE_LOCAL = "local-motion"
VIDEO_ENGINE_SADTALKER = "sadtalker"
VIDEO_ENGINES = (VIDEO_ENGINE_LOCAL, VIDEO_ENGINE_SADTALKER)
# Shown beside every result of the engine (jobs table, job page, gallery, API `engine_label`).
VIDEO_ENGINE_LABELS = {
    VIDEO_ENGINE_LOCAL: _("SEIDRA local motion: approximate mouth motion, not neural lip-sync"),
    VIDEO_ENGINE_SADTALKER: _("SadTalker lip-sync"),
}

FPS = 25  # every output video, whatever the engine
DURATION_RANGE = (2.0, 30.0)  # seconds, inclusive
SIZES = (256, 512)  # the square frame's side, as SadTalker's --size
PREPROCESS_CHOICES = ("crop", "resize", "full")  # SadTalker's --preprocess
POSE_STYLE_RANGE = (0, 45)  # SadTalker's --pose_style
EXPRESSION_SCALE_RANGE = (0.0, 3.0)  # SadTalker's --expression_scale
AUDIO_FORMATS = ("wav", "mp3", "ogg")  # recognised by content (apps/core/audio.py), never by name

# Where the character image comes from (VideoRequest.character["source"]).
CHARACTER_UPLOAD = "upload"  # a file sent with the request
CHARACTER_URL = "url"  # fetched once at submit, from a public http(s) address
CHARACTER_MEDIA = "media"  # one of the owner's gallery images
CHARACTER_PERSONA = "persona"  # the persona's reference image
CHARACTER_GENERATED = "generated"  # none given: a portrait made by the image engine (VideoRequest.portrait)

# The lip-sync options each engine really uses; any other option set away from its default is a 400
# naming it (the Create panel shows only these).
ENGINE_OPTIONS = {
    VIDEO_ENGINE_LOCAL: ("size", "still"),
    VIDEO_ENGINE_SADTALKER: ("size", "still", "enhancer", "preprocess", "pose_style", "expression_scale"),
}


def video_engine_configured() -> str:
    """The engine new video jobs get: SadTalker when SEIDRA_SADTALKER_URL is set, else the local one."""
    return VIDEO_ENGINE_SADTALKER if settings.SEIDRA_SADTALKER_URL else VIDEO_ENGINE_LOCAL


def _meta(label, help_text: str = "") -> dict:
    return {"label": label, "help": help_text}


@dataclass(frozen=True)
class VideoRequest:
    prompt: str = field(metadata=_meta(_("Video prompt"), _("The scene and the emotion to play.")))
    duration: float = field(
        metadata=_meta(
            _("Duration (seconds)"), _("From 2 to 30 seconds. The audio is cut or padded with silence to it.")
        )
    )
    size: int = field(default=256, metadata=_meta(_("Size"), _("The video's side in pixels.")))
    still: bool = field(
        default=False, metadata=_meta(_("Still mode"), _("Keep the head still: only the mouth and the eyes move."))
    )
    enhancer: bool = field(
        default=False, metadata=_meta(_("Face enhancer"), _("GFPGAN on every frame: sharper, slower."))
    )
    preprocess: str = field(
        default="crop", metadata=_meta(_("Framing"), _("crop: the face only; resize or full: the whole image."))
    )
    pose_style: int = field(default=0, metadata=_meta(_("Pose style"), _("SadTalker's head pose style, 0 to 45.")))
    expression_scale: float = field(
        default=1.0, metadata=_meta(_("Expression strength"), _("Above 1 exaggerates the expressions."))
    )
    # {"source": CHARACTER_*, and what names it: "url", "media_id", "persona": {"id", "name"}, "filename"}.
    character: dict = field(default_factory=dict)
    # The image request of the generated portrait (ImageRequest.to_json()) when source is "generated".
    portrait: dict | None = None
    # The uploaded track: {"filename", "format" (AUDIO_FORMATS), "bytes", "seconds" (decoded duration)}.
    # Longer than `duration` is cut, shorter is padded with silence: the job keeps both figures.
    audio: dict = field(default_factory=dict)
    persona: dict | None = None  # {"id", "name"} of the persona named, if any
    engine: str = VIDEO_ENGINE_LOCAL

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "VideoRequest":
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    @property
    def frame_count(self) -> int:
        return round(self.duration * FPS)
