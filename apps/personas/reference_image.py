"""A reference image (a persona's, a video's character): checked by its content, not its name,
before it is kept. The one check for every way an image arrives: an upload, a gallery pick, a
fetched URL; the caller names the field its messages go to.

Pillow must recognise it as JPEG, PNG or WebP, `verify()` it (structure, checksums) and `load()` it
(decode every pixel: a truncated file fails here). The byte cap is checked before Pillow reads
anything (for uploads, before the file is read into memory); the pixel cap keeps a small file that
unpacks into a huge image (a decompression bomb) out.
"""

import io

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image

from apps.core.errors import ParameterError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
FIELD = "reference_image"


def reference_too_large() -> str:
    return _("The image is over %(megabytes)s MB.") % {"megabytes": MAX_BYTES // (1024 * 1024)}


def reference_image_checked(data: bytes, *, field: str = FIELD) -> ContentFile:
    """The image as a file to store (named by its real format), or ParameterError naming `field`."""
    if len(data) > MAX_BYTES:
        raise ParameterError({field: reference_too_large()})
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if kind not in FORMATS:
                raise ParameterError({field: _("Use a JPEG, PNG or WebP image.")})
            if image.width * image.height > MAX_PIXELS:
                message = _("The image has more than %(pixels)s pixels.") % {"pixels": f"{MAX_PIXELS:,}"}
                raise ParameterError({field: message})
            image.verify()
        with Image.open(io.BytesIO(data)) as image:  # verify() leaves the image unusable: open again
            image.load()
    except ParameterError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        message = _("This file is not an image that can be read (JPEG, PNG or WebP).")
        raise ParameterError({field: message}) from None
    return ContentFile(data, name=f"reference.{FORMATS[kind]}")


def reference_upload_checked(upload: UploadedFile, *, field: str = FIELD) -> ContentFile:
    """An uploaded image, refused by its size before it is read into memory, then checked by content."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ParameterError({field: reference_too_large()})
    return reference_image_checked(upload.read(MAX_BYTES + 1), field=field)
