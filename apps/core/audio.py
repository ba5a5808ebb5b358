"""Audio tracks, judged by their content: which format the bytes are, a real decode, their length,
and the track cut or padded to a duration. No Django here: the web process checks uploads with it,
the worker prepares the track a video is made with.

ffmpeg comes from the imageio-ffmpeg wheel (no system package; IMAGEIO_FFMPEG_EXE overrides it).
"""

import subprocess
from functools import cache
from pathlib import Path

import numpy as np

ANALYSIS_RATE = 16000  # mono samples per second for measuring and analysing speech
OUTPUT_RATE = 48000  # the prepared track a video is encoded with
DECODE_TIMEOUT = 120  # seconds; a 20 MB file decodes in well under one on the reference machine


class AudioUnreadable(Exception):
    """ffmpeg could not decode the file as the format its bytes claim (the message says why)."""


@cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def audio_sniff(head: bytes) -> str | None:
    """The format the first bytes announce: "wav", "mp3", "ogg", or None. Names and MIME types are
    never trusted; the decode (audio_decode) then proves the rest of the file."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3":
        return "mp3"
    # An MPEG audio frame: 11 sync bits, then a version and a layer that are not "reserved".
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x18 != 0x08 and head[1] & 0x06:
        return "mp3"
    return None


# ffmpeg's demuxer for each format: a file is decoded as what it claims to be, never guessed again.
_DEMUXERS = {"wav": "wav", "mp3": "mp3", "ogg": "ogg"}


def audio_decode(path: Path, *, audio_format: str, rate: int = ANALYSIS_RATE) -> np.ndarray:
    """Every sample of the track, mono int16 at `rate`. AudioUnreadable when ffmpeg reports an error
    or finds no sound at all."""
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-xerror", "-f", _DEMUXERS[audio_format],
        "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise AudioUnreadable(f"decoding took more than {DECODE_TIMEOUT} s") from None
    errors = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0 or errors:
        raise AudioUnreadable(errors.splitlines()[-1] if errors else f"ffmpeg exited with {done.returncode}")
    samples = np.frombuffer(done.stdout, dtype=np.int16)
    if samples.size == 0:
        raise AudioUnreadable("no audio samples")
    return samples


def audio_seconds(path: Path, *, audio_format: str) -> float:
    """The decoded length in seconds (from the samples, not from a header that may lie)."""
    return audio_decode(path, audio_format=audio_format).size / ANALYSIS_RATE


def audio_prepare_wav(
    source: Path, target: Path, *, audio_format: str, seconds: float, rate: int = OUTPUT_RATE
) -> None:
    """Write `target` as a mono 16-bit WAV of exactly `seconds`: a longer track is cut, a shorter one
    padded with silence at the end."""
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", _DEMUXERS[audio_format],
        "-i", str(source), "-map", "0:a:0", "-af", "apad", "-t", f"{seconds:.3f}", "-ac", "1", "-ar", str(rate),
        "-c:a", "pcm_s16le", str(target),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT, check=False)
    if done.returncode != 0:
        errors = done.stderr.decode(errors="replace").strip()
        raise AudioUnreadable(errors.splitlines()[-1] if errors else f"ffmpeg exited with {done.returncode}")
