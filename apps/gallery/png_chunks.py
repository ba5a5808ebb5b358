"""The text chunks of a PNG file, read without decoding its pixels.

Pillow's `Image.text` decodes the whole image to reach chunks stored after the pixel data, so a
hostile upload (a tiny file that inflates to gigapixels) would cost memory and time before a single
parameter is read. Walking the chunk list costs neither: pixel data is skipped, compressed text is
inflated with a cap.
"""

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 1024 * 1024  # per chunk, once inflated: parameters are a few kilobytes


class NotPng(ValueError):
    """The bytes are not a PNG file (or are cut short)."""


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_TEXT_BYTES)
    if inflater.unconsumed_tail:
        raise NotPng("a compressed text chunk inflates past its cap")
    return text


def _text_chunk(kind: bytes, body: bytes) -> tuple[str, str] | None:
    keyword, separator, rest = body.partition(b"\x00")
    if not separator:
        return None
    key = keyword.decode("latin-1")
    if kind == b"tEXt":
        return key, rest.decode("latin-1")
    if kind == b"zTXt":  # compression method byte, then zlib data
        return key, _inflate(rest[1:]).decode("latin-1")
    # iTXt: compressed flag, method, language tag \0, translated keyword \0, UTF-8 text.
    compressed, rest = rest[:1] == b"\x01", rest[2:]
    _language, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return key, (_inflate(text) if compressed else text).decode("utf-8", errors="replace")


def png_text_chunks(data: bytes) -> dict[str, str]:
    """Keyword -> text of every tEXt, zTXt and iTXt chunk (the first of a repeated keyword wins)."""
    if not data.startswith(PNG_SIGNATURE):
        raise NotPng("no PNG signature")
    chunks: dict[str, str] = {}
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if len(body) < length:
            raise NotPng("the file is cut short")
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            try:
                found = _text_chunk(kind, body)
            except zlib.error as error:
                raise NotPng(f"a compressed text chunk is damaged ({error})") from error
            if found and found[0] not in chunks:
                chunks[found[0]] = found[1]
        if kind == b"IEND":
            break
        position += 12 + length  # length, type, body, CRC
    return chunks
