"""Where media files live, decided in one place: local files under MEDIA_ROOT (the default) or objects
in an S3 / MinIO bucket (SEIDRA_STORAGE=s3, seidra/settings/base.py `media_storage_settings`).

Every stored file (outputs, thumbnails, video posters, persona images, a video job's inputs) goes
through Django's default storage, so the web and workers on other hosts share them through the
bucket, with no shared disk. What differs between the two is decided here only:

- serving: local files are sent by the web (apps/gallery/serving.py); objects in a bucket never pass
  through it: once the permission check passed, the viewer is redirected to a presigned URL that
  works SEIDRA_S3_URL_EXPIRY seconds (`presigned_redirect`), so the browser must reach the S3 endpoint;
- writes under an exact name (`file_write_exact`): a thumbnail or an input keeps the name its path
  rule gives, where Storage.save would rename a taken one;
- reading a file on a worker's own disk (`file_fetch`) and removing a folder of files (`files_delete_under`).
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.http import HttpResponseRedirect
from django.utils.http import content_disposition_header

# The presigned URL expires: neither the browser nor a proxy may keep the redirect longer.
REDIRECT_CACHE = "private, no-store"
COPY_CHUNK = 1024 * 1024


def media_storage() -> Storage:
    """The storage of every media file (Media's file fields and Persona.reference_image use the default)."""
    return default_storage


def media_storage_is_local() -> bool:
    """Whether media are files on this host's disk (FileSystemStorage); False for a bucket, whose
    storage has no local path (Django's contract for storages that `open()` cannot reach directly)."""
    try:
        media_storage().path("")
    except NotImplementedError:
        return False
    return True


def presigned_url(name: str, *, download_name: str = "", content_type: str = "") -> str:
    """A GET URL of the object `name` that works SEIDRA_S3_URL_EXPIRY seconds. `download_name` makes the
    browser save it under that name; `content_type` is the type S3 answers with, whatever it stored."""
    parameters = {}
    if download_name:
        parameters["ResponseContentDisposition"] = content_disposition_header(True, download_name)
    if content_type:
        parameters["ResponseContentType"] = content_type
    return media_storage().url(name, parameters=parameters, expire=settings.SEIDRA_S3_URL_EXPIRY)


def presigned_redirect(name: str, *, download_name: str = "", content_type: str = "") -> HttpResponseRedirect:
    """302 to presigned_url(): the answer of every serving view for media in a bucket, after its
    permission check. Never cached, since the URL expires."""
    response = HttpResponseRedirect(presigned_url(name, download_name=download_name, content_type=content_type))
    response["Cache-Control"] = REDIRECT_CACHE
    return response


def media_storage_origin() -> str:
    """The scheme, host and port presigned URLs point at ("" for local files): pages must allow images
    and videos from there (the Content-Security-Policy), since the browser follows the redirects."""
    if media_storage_is_local():
        return ""
    storage = media_storage()
    origin = getattr(storage, "seidra_origin", None)
    if origin is None:  # once per storage instance: signing a URL on every response costs a little
        parts = urlsplit(storage.url("origin"))
        origin = storage.seidra_origin = f"{parts.scheme}://{parts.netloc}"
    return origin


def file_write_exact(name: str, content: bytes | BinaryIO) -> None:
    """Store `content` under exactly `name`, replacing what was there (a thumbnail made twice, an input
    written again). On the local disk it is written beside and renamed into place, so a reader never
    sees half a file; a bucket's PUT is atomic by itself."""
    stream = ContentFile(content) if isinstance(content, bytes) else File(content)
    storage = media_storage()
    if not media_storage_is_local():
        storage._save(name, stream)  # Storage.save would pick a free name (file_overwrite=False) instead
        return
    path = Path(storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(stream, out, COPY_CHUNK)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_copy_exact(source: str, target: str) -> None:
    """Copy the stored file `source` to exactly `target` (FileNotFoundError when `source` is missing)."""
    with media_storage().open(source, "rb") as stream:
        file_write_exact(target, stream)


def file_fetch(name: str, target: Path) -> Path:
    """The stored file `name` copied to the local path `target` (a worker's scratch folder), for tools that
    need a path (ffmpeg, Pillow); FileNotFoundError when it is missing. Returns `target`."""
    with media_storage().open(name, "rb") as stream, target.open("wb") as out:
        shutil.copyfileobj(stream, out, COPY_CHUNK)
    return target


def file_exists(name: str) -> bool:
    return media_storage().exists(name)


def files_delete_under(folder: str) -> None:
    """Delete every file stored under `folder` (and, on the local disk, the folder itself)."""
    storage = media_storage()
    if media_storage_is_local():
        shutil.rmtree(storage.path(folder), ignore_errors=True)
        return
    directories, files = storage.listdir(folder)
    for name in files:
        storage.delete(f"{folder}/{name}")
    for directory in directories:
        files_delete_under(f"{folder}/{directory}")
