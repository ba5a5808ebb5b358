"""Writes on media: outputs of a job, stored once, with their parameters inside the file."""

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from apps.jobs.models import Job

from .models import Media, MediaKind
from .png_metadata import png_with_parameters


def media_store_image(*, job: Job, index: int, image: Image.Image, parameters: dict) -> Media:
    """The job's `index`-th image as a PNG carrying its parameters; a second call returns the first row."""
    existing = Media.objects.filter(job=job, index=index).first()
    if existing is not None:
        return existing
    media = Media(
        owner_id=job.owner_id, job=job, index=index, kind=MediaKind.IMAGE, width=image.width, height=image.height,
        parameters=parameters, created=timezone.now(),
    )  # fmt: skip
    media.file.save(f"{job.id}-{index}.png", ContentFile(png_with_parameters(image, parameters)), save=False)
    media.save()
    return media
