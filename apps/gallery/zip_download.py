"""A ZIP of original files, streamed: each file is sent as soon as it is added, so a large selection
neither waits for the whole archive nor holds it in memory.

zipfile writes an entry's sizes and checksum back into its header once the data is written. The sink
below keeps the current entry's bytes until then (one file in memory at most), so entries carry
real sizes instead of trailing data descriptors, which some unzip tools refuse for stored entries.
PNGs are already compressed: entries are stored, not deflated again.
"""

import io
import os
import zipfile
from collections.abc import Iterable, Iterator

from django.utils import timezone

from .models import Media

READ_CHUNK = 1024 * 1024


class _EntrySink(io.RawIOBase):
    """A write-only stream seekable over the bytes not yet handed out (see the module's docstring)."""

    def __init__(self) -> None:
        self._pending = io.BytesIO()
        self._sent = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self._pending.write(data)

    def tell(self) -> int:
        return self._sent + self._pending.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pending.seek(offset - self._sent)
        else:
            self._pending.seek(offset, whence)
        return self.tell()

    def take(self) -> bytes:
        data = self._pending.getvalue()
        self._sent += len(data)
        self._pending = io.BytesIO()
        return data


def _entry_name(media: Media, taken: set[str]) -> str:
    base, extension = os.path.splitext(os.path.basename(media.file.name))
    created = timezone.localtime(media.created)
    name = f"{created:%Y%m%d-%H%M%S}-{base}{extension}"
    number = 1
    while name in taken:  # two items of the same second and file name (not from a job)
        number += 1
        name = f"{created:%Y%m%d-%H%M%S}-{base}-{number}{extension}"
    taken.add(name)
    return name


def media_zip_chunks(media: Iterable[Media]) -> Iterator[bytes]:
    """The archive's bytes, one file at a time. A file missing from storage is left out."""
    sink, taken = _EntrySink(), set()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for item in media:
            try:
                source = item.file.open("rb")
            except FileNotFoundError:
                continue
            info = zipfile.ZipInfo(_entry_name(item, taken), date_time=timezone.localtime(item.created).timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with source, archive.open(info, mode="w", force_zip64=item.file_size > 2**31) as entry:
                while chunk := source.read(READ_CHUNK):
                    entry.write(chunk)
            yield sink.take()
    yield sink.take()  # the central directory
