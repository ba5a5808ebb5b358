"""Inputs of talking-character video tests, made offline: a real face photo (scikit-image's
`data.astronaut()`, a public-domain NASA portrait shipped in its wheel), a noise image with no face,
and a speech-like track (silence, then loud syllable-like bursts), plus ways to read a video back."""

import subprocess
import wave
from pathlib import Path

import numpy as np
from PIL import Image

from apps.core.audio import ffmpeg_exe

SPEECH_RATE = 48000
SYLLABLE_SECONDS, SYLLABLE_EVERY = 0.3, 0.5


def astronaut_png(path: Path) -> Path:
    from skimage import data

    Image.fromarray(data.astronaut()).save(path)
    return path


def noise_png(path: Path, size: int = 256) -> Path:
    Image.fromarray(np.random.default_rng(7).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def syllable_peaks(seconds: float, silence: float = 1.0) -> list[float]:
    """When each burst of `speech_wav` is loudest (its middle)."""
    starts = np.arange(silence, seconds - SYLLABLE_SECONDS, SYLLABLE_EVERY)
    return [float(start + SYLLABLE_SECONDS / 2) for start in starts]


def speech_wav(path: Path, *, seconds: float = 3.0, silence: float = 1.0) -> Path:
    """`silence` seconds of nothing, then 0.3 s voiced bursts every 0.5 s (a pitch and a formant-like
    partial under a rising and falling envelope): what a syllable looks like to an RMS meter."""
    t = np.arange(int(seconds * SPEECH_RATE)) / SPEECH_RATE
    signal = np.zeros_like(t)
    for number, peak in enumerate(syllable_peaks(seconds, silence)):
        start = peak - SYLLABLE_SECONDS / 2
        inside = (t >= start) & (t < start + SYLLABLE_SECONDS)
        envelope = np.sin(np.pi * (t[inside] - start) / SYLLABLE_SECONDS)
        pitch = 140 + 30 * (number % 4)
        signal[inside] = envelope * (
            0.6 * np.sin(2 * np.pi * pitch * t[inside]) + 0.25 * np.sin(2 * np.pi * 800 * t[inside])
        )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SPEECH_RATE)
        out.writeframes((signal * 20000).astype(np.int16).tobytes())
    return path


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


def video_job_put(*, owner, audio: Path, duration: float, character: Path | None = None, size: int = 256,
                  still: bool = False, portrait: dict | None = None):  # fmt: skip
    """A QUEUED video job with its inputs where the worker reads them, enqueued on commit: what a
    submit stores, without its checks (the submit's own tests cover those)."""
    import shutil

    from django.db import transaction

    from apps.catalog.video_request import CHARACTER_GENERATED, CHARACTER_UPLOAD, VideoRequest, video_engine_configured
    from apps.core.audio import audio_seconds
    from apps.jobs import queueing
    from apps.jobs.models import Job, JobKind
    from apps.jobs.video_inputs import video_audio_path, video_character_path

    engine = video_engine_configured()
    source = {"source": CHARACTER_UPLOAD, "filename": character.name} if character else {"source": CHARACTER_GENERATED}
    request = VideoRequest(
        prompt="a friendly hello", duration=duration, size=size, still=still,
        character=source,
        portrait=portrait,
        audio={"filename": audio.name, "format": "wav", "bytes": audio.stat().st_size,
               "seconds": audio_seconds(audio, audio_format="wav")},
        engine=engine,
    )  # fmt: skip
    with transaction.atomic():
        job = Job.objects.create(
            owner=owner, kind=JobKind.VIDEO, parameters=request.to_json(), engine=engine, total_steps=100
        )
        video_audio_path(job.pk, "wav").parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(audio, video_audio_path(job.pk, "wav"))
        if character is not None:
            shutil.copyfile(character, video_character_path(job.pk))
        transaction.on_commit(
            lambda: queueing.job_enqueue(
                job_id=str(job.pk), kind=job.kind, owner_id=owner.pk, running_owner_ids=[], engine=engine
            )
        )
    return job
