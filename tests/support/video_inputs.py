"""Talking-character video tests: their inputs (made offline by workers/video/samples.py), a video
read back (streams, frames, sound length), and a queued video job with its inputs in place."""

import subprocess
from pathlib import Path

import numpy as np

from apps.core.audio import ffmpeg_exe
from workers.video.samples import astronaut_png, noise_png, speech_wav, syllable_peaks

__all__ = ["astronaut_png", "noise_png", "speech_wav", "syllable_peaks", "video_streams", "video_frames",
           "video_audio_seconds", "video_job_put"]  # fmt: skip


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
