"""Writes on media: outputs of a job, stored once, with their parameters inside the file."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from apps.core.errors import ParameterError

from .models import Media, MediaKind
from .png_metadata import png_with_parameters
from .selectors import media_ids_bounded


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
    if nsfw is not None:
        media.nsfw_score, media.nsfw_labels, media.flagged = nsfw.score, nsfw.labels, nsfw.flagged
    data = png_with_parameters(image, parameters)
    media.file.save(f"{job.id}-{index}.png", ContentFile(data), save=False)
    media.file_size = len(data)
    media.save()
    return media


def _files_of(media: Media) -> list[str]:
    """Every stored file of a media item: the original (thumbnails are added by apps.gallery.thumbnails)."""
    return [media.file.name] if media.file.name else []


def media_delete(*, media: Media) -> None:
    """The row, then its files once the deletion is committed (a rolled-back delete keeps them)."""
    names, storage = _files_of(media), media.file.storage
    media.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


# --- The owner's marks and deletions (the gallery page's lightbox and selection) -----------------------

MAX_TAGS = 20
MAX_TAG_CHARS = 40


def media_tags_clean(raw: str | list) -> list[str]:
    """Tags as stored: trimmed, inner spaces collapsed, no duplicates (case-insensitive), in the given order.

    `raw` is a comma-separated string (a form field) or a list (the API)."""
    parts = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    for part in parts:
        tag = " ".join(str(part).split())
        if not tag or tag.casefold() in (kept.casefold() for kept in tags):
            continue
        if len(tag) > MAX_TAG_CHARS or "\x00" in tag:
            raise ParameterError({"tags": _("A tag has at most %(count)s characters.") % {"count": MAX_TAG_CHARS}})
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ParameterError({"tags": _("At most %(count)s tags per item.") % {"count": MAX_TAGS}})
    return tags


def _owned(*, owner, media_ids) -> QuerySet[Media]:
    return Media.objects.filter(owner=owner, pk__in=media_ids_bounded(media_ids))


@transaction.atomic
def media_favourite_set(*, owner, media_ids, favourite: bool) -> int:
    """Mark or unmark the owner's media among `media_ids` (others' ids are ignored); how many matched."""
    return _owned(owner=owner, media_ids=media_ids).update(favourite=favourite)


@transaction.atomic
def media_tags_set(*, media: Media, tags: list[str]) -> Media:
    """Replace one item's tags (already cleaned by media_tags_clean)."""
    media.tags = tags
    media.save(update_fields=["tags"])
    return media


@transaction.atomic
def media_tag_add(*, owner, media_ids, tag: str) -> int:
    """Add one tag to each of the owner's media among `media_ids`; how many matched."""
    media = list(_owned(owner=owner, media_ids=media_ids).only("id", "tags"))
    for item in media:
        item.tags = media_tags_clean([*item.tags, tag])
    Media.objects.bulk_update(media, ["tags"])
    return len(media)


@transaction.atomic
def media_delete_many(*, owner, media_ids) -> int:
    """Delete the owner's media among `media_ids` (rows now, files once committed; jobs stay)."""
    media = list(_owned(owner=owner, media_ids=media_ids))
    for item in media:
        media_delete(media=item)
    return len(media)
