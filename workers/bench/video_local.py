"""The local approximate-motion engine's cost (any machine): CPU seconds per second of video.

The astronaut portrait and a 10 s speech-like track (workers/video/samples.py), at 256 and 512: the
engine's whole run (face, speech analysis, frames, both encodes), counted as the CPU time of this
process and of its children (ffmpeg), so it is what one job costs whatever the cores. The target is
reported, never asserted: at most 0.5 CPU-s per second of video at 512.
"""

import resource
import tempfile
import time
from pathlib import Path

from apps.catalog.video_request import SIZES, VideoRequest
from workers.video.base import TalkingJob
from workers.video.local_motion.engine import LocalMotionEngine
from workers.video.samples import astronaut_png, speech_wav

VIDEO_SECONDS = 10.0
TARGET_CPU_SECONDS_PER_VIDEO_SECOND_AT_512 = 0.5


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _one_run(scratch: Path, size: int, seconds: float) -> dict:
    work = Path(tempfile.mkdtemp(dir=scratch))
    job = TalkingJob(
        job_id=f"bench-{size}", request=VideoRequest(prompt="bench", duration=seconds, size=size),
        character=scratch / "astronaut.png", audio=scratch / "speech.wav", work_dir=work,
    )  # fmt: skip
    cpu, wall = _cpu_seconds(), time.perf_counter()
    result = LocalMotionEngine().run(job)
    cpu, wall = _cpu_seconds() - cpu, time.perf_counter() - wall
    return {
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "cpu_seconds_per_video_second": round(cpu / seconds, 3),
        "mp4_bytes": result.mp4.stat().st_size,
        "webm_bytes": result.webm.stat().st_size,
        "stages_wall_seconds": result.details["timings"],
    }


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-video-") as directory:
        scratch = Path(directory)
        astronaut_png(scratch / "astronaut.png")
        speech_wav(scratch / "speech.wav", seconds=VIDEO_SECONDS)
        _one_run(scratch, SIZES[0], 2.0)  # warm-up: imports, the face model's session
        sizes = {f"{size}x{size}": _one_run(scratch, size, VIDEO_SECONDS) for size in SIZES}
    at_512 = sizes["512x512"]["cpu_seconds_per_video_second"]
    return {
        "video_seconds": VIDEO_SECONDS,
        "character": "scikit-image astronaut (512x512 photo)",
        "sizes": sizes,
        "target_cpu_seconds_per_video_second_at_512": TARGET_CPU_SECONDS_PER_VIDEO_SECOND_AT_512,
        "meets_target_at_512": at_512 <= TARGET_CPU_SECONDS_PER_VIDEO_SECOND_AT_512,
    }
