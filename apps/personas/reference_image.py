"""A persona's reference image: checked by its content, not its name, before it is kept.

Pillow must recognise it as JPEG, PNG or WebP, `verify()` it (structure, checksums) and `load()` it
(decode every pixel: a truncated file fails here). The byte cap is checked before Pillow reads
anything; the pixel cap keeps a small file that unpacks into a huge image (a decompression bomb) out.
"""

import io

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image

from apps.core.errors import ParameterError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
FIELD = "reference_image"


def _refuse(message: str) -> ParameterError:
    return ParameterError({FIELD: message})


def reference_too_large() -> str:
    return _("The image is over %(megabytes)s MB.") % {"megabytes": MAX_BYTES // (1024 * 1024)}


def reference_image_checked(data: bytes) -> ContentFile:
    """The image as a file to store (named by its real format), or ParameterError naming the field."""
    if len(data) > MAX_BYTES:
        raise _refuse(reference_too_large())
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if kind not in FORMATS:
                raise _refuse(_("Use a JPEG, PNG or WebP image."))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("The image has more than %(pixels)s pixels.") % {"pixels": f"{MAX_PIXELS:,}"})
            image.verify()
        with Image.open(io.BytesIO(data)) as image:  # verify() leaves the image unusable: open again
            image.load()
    except ParameterError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("This file is not an image that can be read (JPEG, PNG or WebP).")) from None
    return ContentFile(data, name=f"reference.{FORMATS[kind]}")
