"""The interface of the lip-sync engines, and what the video job runner hands them.

The runner (workers/video/job.py) prepares the character image and the audio track (cut or padded
to the requested duration), picks the engine named by the job (`talking_engine_for`), and stores what
it returns. Engines report a fraction of their own stage through `progress`; the runner maps it onto
the job's overall progress and stage ("preparing", "lipsync", "encoding").
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image

from apps.catalog.video_request import VideoRequest


@dataclass
class TalkingJob:
    job_id: str
    request: VideoRequest
    character: Path  # RGB PNG of the face to animate
    audio: Path  # WAV, mono, exactly `request.duration` seconds (cut or padded by the runner)
    work_dir: Path  # scratch space of this attempt, removed by the runner afterwards
    # progress(stage, fraction 0..1): stage is "lipsync" or "encoding".
    progress: Callable[[str, float], None] = lambda stage, fraction: None
    # True once the user cancelled (or the job was taken over): engines stop at their next check.
    cancel_requested: Callable[[], bool] = lambda: False
    # What an earlier attempt recorded (Job.engine_details), e.g. the SadTalker job id, and a way to
    # record it at once on the row.
    details: dict = field(default_factory=dict)
    save_details: Callable[[dict], None] = lambda details: None


@dataclass
class TalkingResult:
    mp4: Path  # H.264 + AAC, +faststart, FPS, the requested duration
    webm: Path  # VP9 + Opus
    poster: Image.Image  # the first frame
    details: dict = field(default_factory=dict)  # kept in Job.engine_details (engine facts, timings)


class TalkingEngine(Protocol):
    name: str  # apps.catalog.video_request.VIDEO_ENGINE_*

    def run(self, job: TalkingJob) -> TalkingResult: ...


def talking_engine_for(engine_name: str) -> TalkingEngine:
    """Imported lazily: the local engine loads onnxruntime and pocketsphinx, SadTalker's only HTTP."""
    from apps.catalog.video_request import VIDEO_ENGINE_LOCAL, VIDEO_ENGINE_SADTALKER

    if engine_name == VIDEO_ENGINE_LOCAL:
        from .local_motion.engine import LocalMotionEngine

        return LocalMotionEngine()
    if engine_name == VIDEO_ENGINE_SADTALKER:
        from .sadtalker import SadTalkerEngine

        return SadTalkerEngine()
    raise ValueError(f"unknown video engine {engine_name!r}")
