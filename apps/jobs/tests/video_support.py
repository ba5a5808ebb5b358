"""Real inputs for video job tests: audio tracks written offline (the stdlib `wave` module, or
ffmpeg's own sine generator for mp3 and ogg) and images as files a client would send."""

import io
import math
import struct
import subprocess
import wave

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.audio import ffmpeg_exe

RATE = 16000


def wav_bytes(seconds: float, *, frequency: float = 440.0) -> bytes:
    """A mono 16-bit tone of `seconds`."""
    count = round(seconds * RATE)
    samples = (round(8000 * math.sin(2 * math.pi * frequency * index / RATE)) for index in range(count))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as track:
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(RATE)
        track.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return buffer.getvalue()


def encoded_tone(audio_format: str, seconds: float) -> bytes:
    """A sine tone encoded by ffmpeg (imageio-ffmpeg's build has LAME and Vorbis) as mp3 or ogg."""
    codec = {"mp3": ["-c:a", "libmp3lame"], "ogg": ["-c:a", "libvorbis"]}[audio_format]
    command = [
        ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        *codec, "-f", audio_format, "pipe:1",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def png_bytes(size=(64, 64), color=(200, 120, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def face_png_bytes() -> bytes:
    """scikit-image's astronaut (a public-domain NASA portrait): a real face."""
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
