"""WebP thumbnails of media, at the widths of SEIDRA_THUMBNAIL_SIZES, so the grid never sends full PNGs.

Made once: right after the original is stored (services.media_store_image), or on the first request
for a media item that has none yet (older media). A thumbnail is written whole under its exact name
(apps.core.media_storage.file_write_exact: on the local disk under a temporary name and renamed into
place; in a bucket by one PUT), so two requests racing on the same one never leave half a file, and one
that exists is never made again. Where each one lives is decided by `thumbnail_name` alone.

Images have thumbnails of themselves, videos of their poster frame; audio tracks have none.
"""

import io
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image

from apps.core.errors import SeidraError
from apps.core.media_storage import file_write_exact

from .models import Media, MediaKind

WEBP_QUALITY = 80  # visually clean at grid sizes, about a tenth of the PNG's bytes


def thumbnail_sizes() -> tuple[int, ...]:
    return tuple(settings.SEIDRA_THUMBNAIL_SIZES)


def thumbnail_name(media: Media, size: int) -> str:
    """The storage name of one thumbnail: from the owner, the id and the width only (the one path rule)."""
    return f"thumbnails/{media.owner_id}/{media.pk}-{size}.webp"


def thumbnail_urls(media: Media) -> dict[int, str]:
    """Width -> URL of each thumbnail (the owner-or-staff view); empty for a kind without thumbnails yet."""
    if media.kind not in MAKERS:
        return {}
    base = reverse("gallery:media-thumbnail", args=[media.pk])
    return {size: f"{base}?size={size}" for size in thumbnail_sizes()}


def thumbnail_url(media: Media, size: int = 0) -> str:
    """The URL of the thumbnail of `size` (the smallest when 0 or not a size); "" for a kind without any."""
    urls = thumbnail_urls(media)
    return urls.get(size, urls[min(urls)]) if urls else ""


def thumbnail_srcset(media: Media) -> str:
    """Every thumbnail with its real width, for an <img srcset> (the browser picks by the `sizes` it is
    given). A thumbnail is never wider than the image, so a small image's sizes are one and the same file."""
    widths: dict[int, str] = {}
    for size, url in sorted(thumbnail_urls(media).items()):
        widths.setdefault(min(size, media.width) if media.width else size, url)
    return ", ".join(f"{url} {width}w" for width, url in widths.items())


def thumbnail_names(media: Media) -> list[str]:
    """Every thumbnail a media item may have (to delete them with it)."""
    return [thumbnail_name(media, size) for size in thumbnail_sizes()]


def _write(name: str, image: Image.Image) -> None:
    encoded = io.BytesIO()
    image.save(encoded, format="WEBP", quality=WEBP_QUALITY)
    file_write_exact(name, encoded.getvalue())


def _image_thumbnails(media: Media, image: Image.Image | None, *, source_name: str = "") -> None:
    missing = [size for size in thumbnail_sizes() if not media.file.storage.exists(thumbnail_name(media, size))]
    if not missing:
        return
    if image is None:
        with media.file.storage.open(source_name or media.file.name, "rb") as original:
            image = Image.open(original)
            image.load()
    # WebP has no 16-bit or palette modes worth keeping; RGBA keeps transparency where there is some.
    source = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA" if "A" in image.getbands() else "RGB")
    for size in missing:
        # Keep the aspect ratio; never enlarge an image narrower than the thumbnail.
        width = min(size, source.width)
        height = max(1, round(source.height * width / source.width))
        resized = source if width == source.width else source.resize((width, height), Image.Resampling.LANCZOS)
        _write(thumbnail_name(media, size), resized)


def _video_thumbnails(media: Media, poster: Image.Image | None) -> None:
    if not media.poster.name:
        raise FileNotFoundError(f"media {media.pk} has no poster")
    _image_thumbnails(media, poster, source_name=media.poster.name)


# Kind -> maker(media, image or None). A kind missing here has no thumbnail.
MAKERS: dict[str, Callable[[Media, Image.Image | None], None]] = {
    MediaKind.IMAGE: _image_thumbnails,
    MediaKind.VIDEO: _video_thumbnails,
}


def thumbnails_make(*, media: Media, image: Image.Image | None = None) -> None:
    """Write the media's missing thumbnails; `image` spares reading the original back when it is at hand."""
    maker = MAKERS.get(media.kind)
    if maker is not None:
        maker(media, image)


def thumbnail_size_parse(raw) -> int:
    """The `?size=` of a request: one of SEIDRA_THUMBNAIL_SIZES, the smallest when left out.

    SeidraError 404 (there is no such thumbnail) naming the sizes that exist.
    """
    sizes = thumbnail_sizes()
    if raw in (None, ""):
        return sizes[0]
    size = int(raw) if str(raw).isdigit() and len(str(raw)) <= 6 else None
    if size not in sizes:
        message = _("No thumbnail of that size; the sizes are %(sizes)s.") % {"sizes": ", ".join(map(str, sizes))}
        raise SeidraError(message, status=404)
    return size


def thumbnail_get(*, media: Media, size: int) -> str:
    """The storage name of the media's thumbnail at `size` (thumbnail_size_parse), made now if missing.

    SeidraError 404 for an audio track (the one kind without thumbnails), or an original missing on the server.
    """
    if media.kind not in MAKERS:
        raise SeidraError(_("An audio track has no thumbnail."), status=404)
    name = thumbnail_name(media, size)
    if not media.file.storage.exists(name):
        try:
            thumbnails_make(media=media)
        except FileNotFoundError as error:
            raise SeidraError(_("The file of this image is missing on the server."), status=404) from error
    return name
