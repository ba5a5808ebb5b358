"""Talking-character video tests: their inputs (made offline by workers/video/samples.py), a video
read back (streams, frames, sound length), and a queued video job with its inputs in place."""

import subprocess
from pathlib import Path

import numpy as np

from apps.core.audio import ffmpeg_exe
from workers.video.samples import astronaut_png, noise_png, speech_wav, syllable_peaks

__all__ = ["astronaut_png", "noise_png", "speech_wav", "syllable_peaks", "video_streams", "video_frames",
           "video_audio_seconds", "video_job_submit"]  # fmt: skip


def video_streams(path: Path) -> list[str]:
    """ffmpeg's description of each stream ("Video: h264 ... 25 fps ...", "Audio: aac ...")."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False)
    return [line.split(": ", 1)[1] for line in done.stderr.splitlines() if line.strip().startswith("Stream #")]


def video_frames(path: Path, size: int) -> np.ndarray:
    """Every decoded frame, (n, size, size, 3) uint8."""
    command = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size, size, 3)


def video_audio_seconds(path: Path, rate: int = 48000) -> float:
    """The length of the decoded sound track."""
    command = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-ac",
        "1",
        "-ar",
        str(rate),
        "-f",
        "s16le",
        "pipe:1",
    ]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return len(raw) / 2 / rate


def video_job_submit(*, owner, audio: Path, duration: float, character: Path | None = None, **options):
    """A video job submitted as the API and the Create panel submit it (apps/jobs/video_submit.py): the
    files uploaded, the options as form fields; no character: a portrait is generated first."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.jobs.video_submit import video_job_create

    def upload(path: Path) -> SimpleUploadedFile:
        return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/octet-stream")

    data = {
        "prompt": "a friendly hello",
        "duration": str(duration),
        **{key: str(value) for key, value in options.items()},
    }
    return video_job_create(
        owner=owner, data=data, audio=upload(audio), reference_image=upload(character) if character else None
    )
