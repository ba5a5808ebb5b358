"""Check a .safetensors file without torch: 8-byte little-endian header length, JSON header, and
tensor offsets that fit in the file. A truncated download or a renamed .ckpt fails here, before
a worker tries to load it."""

import json
import struct
from pathlib import Path

from django.utils.translation import gettext as _

# The format caps the header at 100 MB; anything larger is not a safetensors file.
MAX_HEADER_BYTES = 100 * 1024 * 1024
_LENGTH = struct.Struct("<Q")


class InvalidSafetensors(ValueError):
    """The reason a file is not a usable safetensors file, in a few words."""


def safetensors_header_read(path: Path) -> dict:
    """Return the parsed header (tensor name -> dtype, shape, data_offsets; plus __metadata__)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            prefix = handle.read(_LENGTH.size)
            if len(prefix) < _LENGTH.size:
                raise InvalidSafetensors(_("file too short for a safetensors header"))
            (header_length,) = _LENGTH.unpack(prefix)
            if not 2 <= header_length <= min(MAX_HEADER_BYTES, size - _LENGTH.size):
                raise InvalidSafetensors(_("header length does not fit in the file"))
            raw = handle.read(header_length)
    except OSError as error:
        raise InvalidSafetensors(_("cannot read the file (%(reason)s)") % {"reason": error.strerror or error}) from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidSafetensors(_("header is not JSON")) from None
    if not isinstance(header, dict):
        raise InvalidSafetensors(_("header is not a JSON object"))

    data_size = size - _LENGTH.size - header_length
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(value, int) for value in offsets)
            or "dtype" not in info
            or "shape" not in info
        ):
            raise InvalidSafetensors(_("tensor '%(name)s' has no valid dtype, shape and offsets") % {"name": name})
        start, end = offsets
        if not 0 <= start <= end <= data_size:
            raise InvalidSafetensors(
                _("tensor '%(name)s' ends past the end of the file (truncated download?)") % {"name": name}
            )
    return header


def safetensors_problem(path: Path) -> str:
    """Why `path` is not a readable safetensors file, or "" when it is."""
    try:
        safetensors_header_read(path)
    except InvalidSafetensors as problem:
        return str(problem)
    return ""
