"""Submit a talking-character video job: the one validator of a video request, for the API and the
Create page's panel alike.

Everything is checked before anything is kept: the fields (ParameterError names each bad one), the
character image by its content (apps/personas/reference_image.py, whichever way it came: an upload,
a URL fetched through apps/core/safe_fetch.py, a gallery pick, a persona's reference), the audio
track by its content (magic bytes, then a real decode with ffmpeg: apps/core/audio.py). Only then is
the row created and the inputs written where the worker reads them (apps/jobs/video_inputs.py), in
one transaction: a refusal leaves no row, no file and no directory.
"""

import io
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from apps.accounts.models import User
from apps.catalog.parameters import MAX_PROMPT_CHARS
from apps.catalog.video_request import (
    AUDIO_FORMATS,
    CHARACTER_GENERATED,
    CHARACTER_MEDIA,
    CHARACTER_PERSONA,
    CHARACTER_UPLOAD,
    CHARACTER_URL,
    DURATION_RANGE,
    ENGINE_OPTIONS,
    EXPRESSION_SCALE_RANGE,
    POSE_STYLE_RANGE,
    PREPROCESS_CHOICES,
    SIZES,
    VIDEO_ENGINE_LABELS,
    VideoRequest,
    video_engine_configured,
)
from apps.core.audio import AudioUnreadable, audio_seconds, audio_sniff
from apps.core.errors import ParameterError, SeidraError
from apps.core.safe_fetch import safe_fetch
from apps.gallery.models import MediaKind, ModerationState
from apps.gallery.selectors import media_get_for_user
from apps.gallery.services import media_storage_quota_check
from apps.moderation.selectors import prompt_check_allowed
from apps.personas.reference_image import (
    MAX_BYTES,
    reference_image_checked,
    reference_too_large,
    reference_upload_checked,
)
from apps.personas.selectors import persona_get_for_user

from .models import Job, JobKind
from .parameters import job_parameters_clean
from .services import job_enqueue, job_queue_limit_check, job_submitted_on_commit
from .video_inputs import video_inputs_delete, video_inputs_store

# The fields that name where the character image comes from: at most one per request.
CHARACTER_FIELDS = ("reference_image", "reference_image_url", "reference_media_id", "persona")
OPTION_NAMES = ("size", "still", "enhancer", "preprocess", "pose_style", "expression_scale")
OPTION_DEFAULTS = {item.name: item.default for item in fields(VideoRequest) if item.name in OPTION_NAMES}
# A video job's progress is counted in stages over 100 (workers/progress.py), not denoising steps.
VIDEO_TOTAL_STEPS = 100
# Put before the video prompt when no character image is given: the portrait the lip-sync engines need.
PORTRAIT_PROMPT = "front-facing portrait photo, head and shoulders, looking at the camera, mouth closed, "
AUDIO_HEAD_BYTES = 16  # enough for every signature audio_sniff knows
CHUNK = 1024 * 1024
TRUE_WORDS = ("true", "1", "on", "yes")
FALSE_WORDS = ("false", "0", "off", "no", "")


@dataclass(frozen=True)
class _Checked:
    request: VideoRequest
    character_png: bytes | None  # RGB PNG, None when the portrait is generated
    audio_path: Path  # the upload as sent, in the scratch directory until stored


def _given(value) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


# --- Fields --------------------------------------------------------------------------------------


def _prompt(data: Mapping, errors: dict) -> str:
    value = data.get("prompt")
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors["prompt"] = _("Describe the scene and the emotion to play.")
    elif len(text) > MAX_PROMPT_CHARS:
        errors["prompt"] = _("At most %(count)s characters.") % {"count": MAX_PROMPT_CHARS}
    return text


def _float(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _duration(data: Mapping, errors: dict) -> float:
    low, high = DURATION_RANGE
    number = _float(data.get("duration"))
    if number is None or not low <= number <= high:
        errors["duration"] = _("The duration must be a number of seconds from %(low)s to %(high)s.") % {
            "low": f"{low:g}",
            "high": f"{high:g}",
        }
        return low
    return round(number, 3)


def _option(data: Mapping, name: str):
    """The option as sent; left out or sent empty (a form's blank field), its default."""
    value = data.get(name)
    return value if _given(value) else OPTION_DEFAULTS[name]


def _boolean(data: Mapping, name: str, errors: dict) -> bool:
    value = _option(data, name)
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    errors[name] = _("Use true or false.")
    return OPTION_DEFAULTS[name]


def _int_in(data: Mapping, name: str, low: int, high: int, errors: dict) -> int:
    number = _float(_option(data, name))
    if number is None or number != int(number) or not low <= number <= high:
        errors[name] = _("A whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return OPTION_DEFAULTS[name]
    return int(number)


def _options(data: Mapping, engine: str, errors: dict) -> dict:
    """The lip-sync options; one the configured engine does not use, set away from its default, is refused."""
    options = {"still": _boolean(data, "still", errors), "enhancer": _boolean(data, "enhancer", errors)}
    size = _float(_option(data, "size"))
    if size not in SIZES:
        errors["size"] = _("Choose one of %(choices)s.") % {"choices": ", ".join(str(side) for side in SIZES)}
        size = OPTION_DEFAULTS["size"]
    options["size"] = int(size)
    preprocess = str(_option(data, "preprocess")).strip()
    if preprocess not in PREPROCESS_CHOICES:
        errors["preprocess"] = _("Choose one of %(choices)s.") % {"choices": ", ".join(PREPROCESS_CHOICES)}
        preprocess = OPTION_DEFAULTS["preprocess"]
    options["preprocess"] = preprocess
    options["pose_style"] = _int_in(data, "pose_style", *POSE_STYLE_RANGE, errors)
    low, high = EXPRESSION_SCALE_RANGE
    scale = _float(_option(data, "expression_scale"))
    if scale is None or not low <= scale <= high:
        errors["expression_scale"] = _("A number from %(low)s to %(high)s.") % {"low": f"{low:g}", "high": f"{high:g}"}
        scale = OPTION_DEFAULTS["expression_scale"]
    options["expression_scale"] = scale
    for name in OPTION_NAMES:
        if name not in ENGINE_OPTIONS[engine] and name not in errors and options[name] != OPTION_DEFAULTS[name]:
            errors[name] = _(
                "%(option)s is a SadTalker option; this server makes videos with %(engine)s, which does not use it."
            ) % {"option": name, "engine": VIDEO_ENGINE_LABELS[engine]}
    return options


# --- The character image -------------------------------------------------------------------------


def _rgb_png(image_file) -> bytes:
    """The checked image as the worker reads it: RGB PNG (transparency flattened on white)."""
    with Image.open(image_file) as image:
        image.load()
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = image.convert("RGB")
    buffer = io.BytesIO()
    flat.save(buffer, format="PNG")
    return buffer.getvalue()


def _media_image(owner: User, media_id) -> bytes:
    """One of the owner's gallery images, checked like an upload; anything else is "no such image"."""
    missing = ParameterError({"reference_media_id": _("No such image in your gallery.")})
    try:
        media = media_get_for_user(user=owner, media_id=media_id)
    except SeidraError:
        raise missing from None
    if media.kind != MediaKind.IMAGE or media.moderation == ModerationState.HIDDEN:
        raise missing
    if media.file_size and media.file_size > MAX_BYTES:
        raise ParameterError({"reference_media_id": reference_too_large()})
    try:
        with media.file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ParameterError({"reference_media_id": _("The file of this image is missing on the server.")}) from None
    return reference_image_checked(data, field="reference_media_id").read()


def _character(owner: User, data: Mapping, upload: UploadedFile | None, prompt: str):
    """(RGB PNG or None, character record, persona record or None, portrait request or None)."""
    given = [
        name
        for name in CHARACTER_FIELDS
        if (upload is not None if name == "reference_image" else _given(data.get(name)))
    ]
    if len(given) > 1:
        message = _(
            "Give at most one character image: %(given)s were all sent. Keep one of reference_image, "
            "reference_image_url, reference_media_id or persona."
        ) % {"given": ", ".join(given)}
        raise ParameterError({"non_field_errors": message})
    if upload is not None:
        image = reference_upload_checked(upload, field="reference_image")
        return (
            _rgb_png(image),
            {"source": CHARACTER_UPLOAD, "filename": PurePath(upload.name or "").name[:200]},
            None,
            None,
        )
    if _given(data.get("reference_image_url")):
        url = str(data["reference_image_url"]).strip()
        body = safe_fetch(url, field="reference_image_url", max_bytes=MAX_BYTES, too_large=reference_too_large())
        image = reference_image_checked(body, field="reference_image_url")
        return _rgb_png(image), {"source": CHARACTER_URL, "url": url[:2000]}, None, None
    if _given(data.get("reference_media_id")):
        media_id = str(data["reference_media_id"]).strip()
        return (
            _rgb_png(io.BytesIO(_media_image(owner, media_id))),
            {"source": CHARACTER_MEDIA, "media_id": media_id},
            None,
            None,
        )
    persona = None
    if _given(data.get("persona")):
        try:
            persona = persona_get_for_user(user=owner, persona_id=data["persona"])
        except SeidraError:
            raise ParameterError({"persona": _("No such persona among yours.")}) from None
        record = {"id": str(persona.id), "name": persona.name}
        if persona.reference_image:
            with persona.reference_image.open("rb") as handle:
                image = reference_image_checked(handle.read(MAX_BYTES + 1), field="persona")
            return _rgb_png(image), {"source": CHARACTER_PERSONA, "persona": record}, record, None
    # No image at all: the worker generates a portrait first, with the one image validator's defaults.
    portrait_data = {"prompt": PORTRAIT_PROMPT + prompt}
    if persona is not None:
        portrait_data["persona"] = str(persona.id)
    try:
        portrait = job_parameters_clean(owner=owner, data=portrait_data)
    except ParameterError as error:  # the portrait's own fields (model, size...) are not on this form
        raise _portrait_refused(error) from None
    prompt_check_allowed(prompt=portrait.prompt)  # the prompt that would run, a persona's template included
    return None, {"source": CHARACTER_GENERATED}, portrait.persona, portrait.to_json()


def _portrait_refused(error: ParameterError) -> ParameterError:
    named = {name: message for name, message in error.errors.items() if name in ("prompt", "persona")}
    others = [f"{name}: {message}" for name, message in error.errors.items() if name not in named]
    if others:
        named["non_field_errors"] = _(
            "No character image was given and the portrait to animate cannot be generated (%(reason)s). "
            "Give a character image."
        ) % {"reason": "; ".join(others)}
    return ParameterError(named)


# --- The audio track -----------------------------------------------------------------------------


def _audio(upload: UploadedFile | None, scratch: Path) -> tuple[Path, dict]:
    """The track copied into `scratch` (named by its real format) and its record, or ParameterError."""
    if upload is None:
        raise ParameterError({"audio": _("Send the audio track (a wav, mp3 or ogg file) in the field audio.")})
    cap = settings.SEIDRA_MAX_AUDIO_MB * 1024 * 1024
    too_large = ParameterError(
        {"audio": _("The audio file is over %(megabytes)s MB.") % {"megabytes": settings.SEIDRA_MAX_AUDIO_MB}}
    )
    if upload.size is not None and upload.size > cap:  # refused before a byte of it is read
        raise too_large
    upload.seek(0)
    head = upload.read(AUDIO_HEAD_BYTES)
    audio_format = audio_sniff(head)
    if audio_format not in AUDIO_FORMATS:
        raise ParameterError({"audio": _("Use a wav, mp3 or ogg audio file.")})
    path = scratch / f"audio.{audio_format}"
    size = len(head)
    with path.open("wb") as copy:
        copy.write(head)
        while chunk := upload.read(CHUNK):
            size += len(chunk)
            if size > cap:  # a size the upload did not declare
                raise too_large
            copy.write(chunk)
    try:
        seconds = audio_seconds(path, audio_format=audio_format)
    except AudioUnreadable:
        raise ParameterError(
            {"audio": _("This file is not an audio track that can be read (wav, mp3 or ogg).")}
        ) from None
    record = {
        "filename": PurePath(upload.name or "").name[:200],
        "format": audio_format,
        "bytes": size,
        "seconds": round(seconds, 3),
    }
    return path, record


# --- Submit ----------------------------------------------------------------------------------------


def _checked(owner: User, data: Mapping, audio, reference_image, scratch: Path, engine: str) -> _Checked:
    """Every check, all problems in one ParameterError."""
    errors: dict[str, str] = {}
    prompt = _prompt(data, errors)
    duration = _duration(data, errors)
    options = _options(data, engine, errors)
    if "prompt" not in errors:
        try:
            prompt_check_allowed(prompt=prompt)
        except ParameterError as error:
            errors.update(error.errors)
    character = (None, {}, None, None)
    if "prompt" not in errors:  # a generated portrait is made from the prompt
        try:
            character = _character(owner, data, reference_image, prompt)
        except ParameterError as error:
            errors.update(error.errors)
    audio_path, audio_record = None, {}
    try:
        audio_path, audio_record = _audio(audio, scratch)
    except ParameterError as error:
        errors.update(error.errors)
    if errors:
        raise ParameterError(errors)
    character_png, character_record, persona, portrait = character
    request = VideoRequest(
        prompt=prompt, duration=duration, **options, character=character_record, portrait=portrait,
        audio=audio_record, persona=persona, engine=engine,
    )  # fmt: skip
    return _Checked(request=request, character_png=character_png, audio_path=audio_path)


def _inputs_store(job: Job, checked: _Checked) -> None:
    with checked.audio_path.open("rb") as audio:
        video_inputs_store(
            job.id, character_png=checked.character_png, audio=audio, audio_format=checked.request.audio["format"]
        )


def video_job_create(
    *, owner: User, data: Mapping, audio: UploadedFile | None, reference_image: UploadedFile | None
) -> Job:
    """A QUEUED video job, enqueued on commit, or ParameterError naming each bad field (SeidraError 429
    for a full queue or quota). `data` holds the form fields (a dict or a QueryDict); the files come
    apart. Nothing is kept on refusal."""
    job_queue_limit_check(owner)  # a full queue answers before the slow checks (fetch, decode)
    engine = video_engine_configured()
    with tempfile.TemporaryDirectory(prefix="seidra-video-") as scratch:
        checked = _checked(owner, data, audio, reference_image, Path(scratch), engine)
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=owner.pk).first()  # two submits cannot both pass the limit
            job_queue_limit_check(owner)
            media_storage_quota_check(owner=owner)
            job = Job.objects.create(
                owner=owner, kind=JobKind.VIDEO, engine=engine, parameters=checked.request.to_json(),
                total_steps=VIDEO_TOTAL_STEPS,
            )  # fmt: skip
            try:
                _inputs_store(job, checked)
            except BaseException:  # the row goes with the transaction; the files go here
                video_inputs_delete(job.id)
                raise
            transaction.on_commit(lambda: job_enqueue(job))
            job_submitted_on_commit(job)
    return job
