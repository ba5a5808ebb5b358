"""Sending a media item's file or thumbnail: the one way every URL that serves one answers.

- `ETag` (from the media id, the file's name, size and modification time) and 304 on If-None-Match;
  `Cache-Control: private` (a shared cache must never keep a private file).
- `Accept-Ranges: bytes` and one byte range (`Range: bytes=a-b`, `a-`, `-n`): 206 with `Content-Range`,
  so a `<video>` seeks and Safari plays at all (it asks for ranges only); a range past the end is a 416;
  several ranges, a malformed header or an `If-Range` that no longer matches get the whole file (200),
  as RFC 9110 allows.
- SEIDRA_MEDIA_ACCEL: "nginx" answers an empty response with `X-Accel-Redirect` (the prefix plus the
  path under MEDIA_ROOT: an `internal` location of nginx sends the bytes), "sendfile" with `X-Sendfile`
  (the absolute path: Apache mod_xsendfile, lighttpd), "" streams the file from Django.
- Media in an S3 bucket (apps.core.media_storage) are never sent by the web: the answer is a redirect to
  a presigned URL of the object (the bucket answers ranges and the download's name and type itself).
- Who may see the media is decided before (apps.gallery.selectors.media_get_for_viewing, or a share link).
"""

import hashlib
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header, parse_etags
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.core.errors import SeidraError
from apps.core.media_storage import media_storage_is_local, presigned_redirect

from .models import Media
from .thumbnails import thumbnail_get, thumbnail_size_parse

PRIVATE_CACHE = "private, max-age=86400"  # ids never change content; the ETag answers a revalidation
CONTENT_TYPES = {
    ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg", ".mp4": "video/mp4", ".webm": "video/webm",
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
}  # fmt: skip
RANGE_CHUNK = 64 * 1024


def _storage():
    return Media._meta.get_field("file").storage


def _etag(media: Media, name: str, path: Path) -> str:
    stat = path.stat()
    digest = hashlib.sha256(f"{media.pk}:{name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def _not_modified(request: HttpRequest, etag: str) -> bool:
    asked = request.headers.get("If-None-Match")
    if not asked:
        return False
    # Weak comparison, as RFC 9110 wants for If-None-Match.
    tags = {tag.removeprefix("W/") for tag in parse_etags(asked)}
    return "*" in tags or etag in tags


def byte_range_parse(header: str, size: int) -> tuple[int, int] | None | bool:
    """The one range of a `Range` header as (first, last) byte offsets, both inclusive; None when the
    header asks for no single byte range we serve (absent, malformed, several ranges, another unit: the
    whole file then); False when it is one range that the file cannot satisfy (416)."""
    unit, _sep, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = (part.strip() for part in spec.strip().partition("-"))
    if not dash:
        return None
    if not first_text:  # "-n": the last n bytes
        if not last_text.isdigit():
            return None
        suffix = int(last_text)
        return (max(0, size - suffix), size - 1) if suffix and size else False
    if not first_text.isdigit() or (last_text and not last_text.isdigit()):
        return None
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # syntactically invalid: ignored (RFC 9110 14.1.1)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return (first, last) if first < size else False


def _file_slice(path: Path, first: int, length: int):
    with path.open("rb") as stream:  # closed when the response closes the generator, even mid-way
        stream.seek(first)
        while length > 0:
            chunk = stream.read(min(RANGE_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _ranged_response(request: HttpRequest, *, path: Path, etag: str, content_type: str) -> HttpResponse:
    """The whole file (200), one byte range of it (206) or the 416 of a range past its end."""
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    size = path.stat().st_size
    wanted = byte_range_parse(header, size) if header and (not if_range or if_range == etag) else None
    if wanted is None:
        response = FileResponse(path.open("rb"), content_type=content_type)
    elif wanted is False:
        response = HttpResponse(status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{size}"
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            _file_slice(path, first, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def download_filename(media: Media) -> str:
    """A name a person recognises in their downloads: the start of the prompt and the seed."""
    parameters = media.parameters or {}
    words = slugify(str(parameters.get("prompt") or ""))[:48].strip("-")
    seed = parameters.get("seed")
    parts = ["seidra", words or str(media.pk)[:8], str(seed) if seed is not None else ""]
    return "-".join(part for part in parts if part) + (PurePosixPath(media.file.name).suffix or "")


def stored_file_response(
    request: HttpRequest, *, media: Media, name: str, cache_control: str = PRIVATE_CACHE, download: str = ""
) -> HttpResponse:
    """The stored file `name` (the media's original or one of its thumbnails); `download` names the
    attachment when the browser should save it. SeidraError 404 when the file is missing (local files)."""
    if not media_storage_is_local():
        content_type = CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "")
        return presigned_redirect(name, download_name=download, content_type=content_type)
    path = Path(_storage().path(name))
    try:
        etag = _etag(media, name, path)
    except FileNotFoundError as error:
        raise SeidraError(_("The file of this image is missing on the server."), status=404) from error
    if _not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        accel = settings.SEIDRA_MEDIA_ACCEL
        if accel == "nginx":
            response = HttpResponse(content_type=content_type)
            response["X-Accel-Redirect"] = settings.SEIDRA_MEDIA_ACCEL_PREFIX + quote(name)
        elif accel == "sendfile":
            response = HttpResponse(content_type=content_type)
            response["X-Sendfile"] = str(path)
        else:
            response = _ranged_response(request, path=path, etag=etag, content_type=content_type)
        if download:
            response["Content-Disposition"] = content_disposition_header(True, download)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


# `?part=` of the file URL: a video's other stored files beside its MP4 (media_file_url builds the URLs).
FILE_PARTS = {"webm": "webm_file", "poster": "poster"}


def media_file_url(media: Media, part: str = "") -> str:
    """The URL of the media's file, or of one of its FILE_PARTS; "" when the media has no such file."""
    if part and not getattr(media, FILE_PARTS[part]).name:
        return ""
    url = reverse("gallery:media-file", args=[media.pk])
    return f"{url}?part={part}" if part else url


def media_file_response(request: HttpRequest, *, media: Media) -> HttpResponse:
    """The original file, or a video's `?part=webm|poster`; `?download=1` makes it an attachment (the PNG
    as stored: metadata intact)."""
    part = request.GET.get("part") or ""
    if part not in FILE_PARTS and part:
        raise SeidraError(_("Unknown file part; use webm or poster."), status=404)
    name = getattr(media, FILE_PARTS[part]).name if part else media.file.name
    if not name:
        raise SeidraError(_("This item has no such file."), status=404)
    download = download_filename(media) if request.GET.get("download") in ("1", "true", "yes") else ""
    if download and part:
        download = download.rsplit(".", 1)[0] + PurePosixPath(name).suffix
    return stored_file_response(request, media=media, name=name, download=download)


def media_thumbnail_response(request: HttpRequest, *, media: Media) -> HttpResponse:
    """The WebP thumbnail of `?size=` (the smallest when left out), made now if it is missing."""
    size = thumbnail_size_parse(request.GET.get("size"))
    return stored_file_response(request, media=media, name=thumbnail_get(media=media, size=size))
