"""Writes on media: outputs of a job, stored once with their parameters inside the file and their
thumbnails beside it; the owner's marks (favourite, tags), one by one or in bulk; deletion."""

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from apps.accounts.models import User
from apps.core.errors import ParameterError, SeidraError
from apps.core.media_storage import file_write_exact

from .models import Media, MediaKind
from .png_metadata import png_with_parameters
from .selectors import media_ids_bounded, media_storage_used
from .sharing import shared_copy_name
from .thumbnails import thumbnail_names, thumbnails_make

logger = logging.getLogger(__name__)

MAX_TAGS = 20
MAX_TAG_CHARS = 40
# Retry-After of the "storage full" 429: a hint only, since space frees when the user deletes media.
STORAGE_FULL_RETRY_AFTER = 3600


@dataclass(frozen=True)
class NsfwVerdict:
    """What the worker's NSFW detector said of one image (workers/nsfw)."""

    score: float  # 0..1, the highest of the detector's exposed-body labels
    labels: list[dict] = field(default_factory=list)  # [{"label": ..., "score": ...}]

    @property
    def flagged(self) -> bool:
        return self.score >= settings.SEIDRA_NSFW_THRESHOLD


def _filter_columns(parameters: dict) -> dict:
    """The columns the grid filters on, copied from the parameters (apps.gallery.models.Media)."""
    names = [lora["name"] for lora in parameters.get("loras") or [] if isinstance(lora, dict) and lora.get("name")]
    persona = parameters.get("persona") or {}
    return {
        "model_name": str(parameters.get("model") or "")[:200],
        "lora_names": f"|{'|'.join(names)}|" if names else "",
        "persona_id": persona.get("id") or None,
        "persona_name": str(persona.get("name") or "")[:100],
    }


def _nsfw_apply(media: Media, nsfw: NsfwVerdict | None) -> None:
    if nsfw is not None:
        media.nsfw_score, media.nsfw_labels, media.flagged = nsfw.score, nsfw.labels, nsfw.flagged


def media_store_image(
    *, job, index: int, image: Image.Image, parameters: dict, nsfw: NsfwVerdict | None = None
) -> Media:
    """The job's `index`-th image as a PNG carrying its parameters; a second call returns the first row.

    `job` is an apps.jobs Job row (only its id and owner are read: the gallery does not import jobs).
    `nsfw` is the detector's verdict, None when no detector ran.
    """
    existing = Media.objects.filter(job=job, index=index).first()
    if existing is not None:
        return existing
    media = Media(
        owner_id=job.owner_id, job=job, index=index, kind=MediaKind.IMAGE, width=image.width, height=image.height,
        parameters=parameters, created=timezone.now(), **_filter_columns(parameters),
    )  # fmt: skip
    _nsfw_apply(media, nsfw)
    data = png_with_parameters(image, parameters)
    _file_store_exact(media, "file", f"{job.id}-{index}.png", data)
    media.file_size = len(data)
    media.save()
    try:
        thumbnails_make(media=media, image=image)
    except Exception:  # a cache: the first request for a missing one makes it
        logger.warning("thumbnails of media %s not made; the first request makes them", media.pk, exc_info=True)
    return media


def _file_store_exact(media: Media, field_name: str, filename: str, content: bytes | BinaryIO) -> None:
    """Store one file of the media under the name its path rule gives (job id and index), replacing a
    file an earlier attempt left when its worker died before the row was committed: the retry reuses
    the name, so the storage never keeps a second copy of an output (Storage.save would pick a new one)."""
    name = Media._meta.get_field(field_name).generate_filename(media, filename)
    file_write_exact(name, content)
    setattr(media, field_name, name)


def _save_file(media: Media, field_name: str, name: str, path: Path) -> int:
    """Copy a worker's file into the media's storage under `name`; returns its size in bytes."""
    with path.open("rb") as source:
        _file_store_exact(media, field_name, name, source)
    return path.stat().st_size


def media_store_video(
    *,
    job,
    index: int,
    mp4: Path,
    webm: Path | None,
    poster: Image.Image,
    duration: float,
    parameters: dict,
    nsfw: NsfwVerdict | None = None,
) -> Media:
    """The job's `index`-th output as a video: the MP4, the WebM beside it, a JPEG poster frame (its
    thumbnails are made from it), its duration. `nsfw` is the detector's verdict on the poster (every
    frame shows the same character). A second call returns the first row."""
    existing = Media.objects.filter(job=job, index=index).first()
    if existing is not None:
        return existing
    media = Media(
        owner_id=job.owner_id, job=job, index=index, kind=MediaKind.VIDEO, width=poster.width, height=poster.height,
        duration=duration, parameters=parameters, created=timezone.now(), **_filter_columns(parameters),
    )  # fmt: skip
    _nsfw_apply(media, nsfw)
    size = _save_file(media, "file", f"{job.id}-{index}.mp4", mp4)
    if webm is not None:
        size += _save_file(media, "webm_file", f"{job.id}-{index}.webm", webm)
    buffer = io.BytesIO()
    poster.convert("RGB").save(buffer, format="JPEG", quality=90)
    _file_store_exact(media, "poster", f"{job.id}-{index}-poster.jpg", buffer.getvalue())
    media.file_size = size + len(buffer.getvalue())
    media.save()
    try:
        thumbnails_make(media=media, image=poster)
    except Exception:  # a cache: the first request for a missing one makes it
        logger.warning("thumbnails of media %s not made; the first request makes them", media.pk, exc_info=True)
    return media


def media_store_audio(*, job, index: int, path: Path, duration: float, parameters: dict) -> Media:
    """An audio track of the job (a video's sound, kept as its own media): the file as it is, named by
    its suffix (wav, mp3, ogg). A second call returns the first row."""
    existing = Media.objects.filter(job=job, index=index).first()
    if existing is not None:
        return existing
    media = Media(
        owner_id=job.owner_id, job=job, index=index, kind=MediaKind.AUDIO, duration=duration,
        parameters=parameters, created=timezone.now(), **_filter_columns(parameters),
    )  # fmt: skip
    media.file_size = _save_file(media, "file", f"{job.id}-{index}{path.suffix.lower()}", path)
    media.save()
    return media


def _files_of(media: Media) -> list[str]:
    """Every stored file of a media item: the original, a video's WebM and poster, the thumbnails, and
    the copy a share link sends from a bucket."""
    names = [media.file.name, media.webm_file.name, media.poster.name]
    return [name for name in names if name] + thumbnail_names(media) + [shared_copy_name(media)]


def _files_delete_on_commit(names: list[str]) -> None:
    """Delete the files once the rows' deletion is committed (a rolled-back delete keeps them)."""
    storage = Media._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def media_delete(*, media: Media) -> None:
    """The row, its file and thumbnails. The job it came from stays."""
    names = _files_of(media)  # before the delete, which clears the id the thumbnails' names hold
    media.delete()
    _files_delete_on_commit(names)


# --- Storage quota ---------------------------------------------------------------------------------


def media_storage_quota_check(*, owner: User) -> None:
    """SeidraError 429 once the owner's files reach SEIDRA_USER_STORAGE_QUOTA_MB (unset: no quota).
    Called before a job is created: the job's images would only add to it."""
    quota_mb = settings.SEIDRA_USER_STORAGE_QUOTA_MB
    if quota_mb is None:
        return
    used = media_storage_used(owner=owner)
    if used >= quota_mb * 1024 * 1024:
        message = _(
            "Your storage is full: your images use %(used)s MB of your %(quota)s MB. "
            "Delete some in the Gallery to make room for new jobs."
        ) % {"used": f"{used / 1024 / 1024:.1f}", "quota": quota_mb}
        raise SeidraError(message, status=429, retry_after=STORAGE_FULL_RETRY_AFTER)


# --- Marks: favourite and tags ---------------------------------------------------------------------


def media_tags_clean(tags) -> list[str]:
    """Tags as stored: trimmed, inner spaces collapsed, empty ones and repeats (ignoring case) dropped.

    ParameterError on `tags` for anything but a list of short strings, or too many of them.
    """
    if not isinstance(tags, list | tuple):
        raise ParameterError({"tags": _("Expected a list of tags.")})
    cleaned: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        if not isinstance(tag, str) or "\x00" in tag:
            raise ParameterError({"tags": _("Each tag must be text.")})
        tag = " ".join(tag.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS:
            message = _("A tag has at most %(count)s characters: %(tag)s") % {"count": MAX_TAG_CHARS, "tag": tag}
            raise ParameterError({"tags": message})
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ParameterError({"tags": _("At most %(count)s tags per image.") % {"count": MAX_TAGS}})
    return cleaned


def media_favourite_set(*, media: Media, favourite: bool) -> Media:
    media.favourite = bool(favourite)
    media.save(update_fields=["favourite"])
    return media


def media_tags_set(*, media: Media, tags) -> Media:
    """Replace the media's tags (media_tags_clean says what is accepted)."""
    media.tags = media_tags_clean(tags)
    media.save(update_fields=["tags"])
    return media


# --- Bulk: a selection of the owner's media ---------------------------------------------------------


def _owned(owner: User, ids: Iterable) -> QuerySet[Media]:
    """The owner's media among `ids`; malformed ids and other users' media are simply not there."""
    return Media.objects.filter(owner=owner, pk__in=media_ids_bounded(ids))


@transaction.atomic
def media_bulk_delete(*, owner: User, ids: Iterable) -> int:
    """Delete the owner's media among `ids` (files and thumbnails too); returns how many went."""
    doomed = list(_owned(owner, ids).only("id", "owner_id", "file"))
    names = [name for media in doomed for name in _files_of(media)]
    Media.objects.filter(pk__in=[media.pk for media in doomed]).delete()
    _files_delete_on_commit(names)
    return len(doomed)


def media_bulk_favourite_set(*, owner: User, ids: Iterable, favourite: bool) -> int:
    return _owned(owner, ids).update(favourite=bool(favourite))


@transaction.atomic
def media_bulk_tag_add(*, owner: User, ids: Iterable, tag: str) -> int:
    """Add one tag to the owner's media among `ids` (those that have it already are left alone);
    returns how many gained it. ParameterError on `tags` as for media_tags_set."""
    [tag] = media_tags_clean([tag]) or [""]
    if not tag:
        raise ParameterError({"tags": _("Give a tag to add.")})
    changed = []
    for media in _owned(owner, ids).select_for_update().only("id", "tags"):
        if tag.casefold() not in {existing.casefold() for existing in media.tags}:
            media.tags = media_tags_clean([*media.tags, tag])
            changed.append(media)
    Media.objects.bulk_update(changed, ["tags"])
    return len(changed)
