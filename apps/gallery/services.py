"""Writes on media: outputs of a job, stored once, with their parameters inside the file."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from .models import Media, MediaKind
from .png_metadata import png_with_parameters


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
