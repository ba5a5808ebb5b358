"""Media rows for tests, with real small PNG files (Pillow) carrying their parameters."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from apps.gallery.models import Media
from apps.gallery.png_metadata import png_with_parameters
from apps.gallery.services import _filter_columns

PARAMETERS = {
    "prompt": "a lighthouse at dusk",
    "negative_prompt": "blurry",
    "model": "seidra-tiny-sdxl",
    "loras": [{"name": "watercolor", "weight": 0.8}],
    "width": 64,
    "height": 48,
    "steps": 12,
    "guidance": 6.5,
    "scheduler": "euler_a",
    "seed": 1234,
}


def media_create(owner, *, minutes_ago: float = 0, colour="teal", job=None, **fields) -> Media:
    """One stored image, `minutes_ago` old; `fields` override the parameters (prompt=...) or the row (favourite=...)."""
    row_fields = {name: fields.pop(name) for name in list(fields) if hasattr(Media, name) and name not in PARAMETERS}
    parameters = {**PARAMETERS, **fields}
    media = Media(
        owner=owner, job=job, width=parameters["width"], height=parameters["height"], parameters=parameters,
        created=timezone.now() - timedelta(minutes=minutes_ago), **_filter_columns(parameters), **row_fields,
    )  # fmt: skip
    data = png_with_parameters(Image.new("RGB", (parameters["width"], parameters["height"]), colour), parameters)
    media.file.save(f"test-{media.id}.png", ContentFile(data), save=False)
    media.file_size = len(data)
    media.save()
    return media


def media_rows_bulk(owner, count: int) -> None:
    """`count` rows in one INSERT, without files (what the grid reads is the row; thumbnails are other requests)."""
    now = timezone.now()
    Media.objects.bulk_create(
        Media(
            owner=owner,
            width=64,
            height=64,
            parameters={**PARAMETERS, "seed": number},
            file=f"outputs/none/{number}.png",
            created=now - timedelta(seconds=number),
            file_size=1000,
            **_filter_columns(PARAMETERS),
        )  # fmt: skip
        for number in range(count)
    )
