"""`make bench`'s video section, SadTalker part: what SEIDRA adds around the SadTalker service.

The real service (ops/sadtalker/server.py, started by seidra/local_sadtalker.py) runs the test
command (ops/sadtalker/test_command.py: SadTalker's progress bars with a pause per step, then a real
mp4 of the still image and the audio), so the service's own time is known: the job's `seconds` as the
service reports it. Around it SEIDRA's engine uploads, polls every SEIDRA_SADTALKER_POLL_SECONDS,
downloads, re-encodes to MP4 + WebM and reads the poster, and the job stores the video as Media.
Measured in a child process on a scratch SQLite database and media folder (never the owner's), as
the gallery section does. Reported per run and as medians: each part's seconds and the overhead
(everything but the service's time) as a ratio to the service's time.
"""

import json
import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .scratch import scratch_env, scratch_manage

SECONDS = 5.0  # of video
SIZE = 256
RUNS = 3
# The test command's pause per progress step: 5 bars of 10 steps, about 2.5 s of "service" a job.
SECONDS_PER_STEP = "0.05"


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-sadtalker-") as scratch:
        env = scratch_env(Path(scratch))

        def manage(*args: str) -> str:
            return scratch_manage(env, *args)

        manage("migrate", "--no-input", "-v", "0")
        output = manage("shell", "-c", "from workers.bench.video_sadtalker import measure; measure()")
        return json.loads(output.strip().splitlines()[-1])


def _one_run(job, *, work: Path, character: Path, audio: Path) -> dict:
    from apps.catalog.video_request import VideoRequest
    from apps.gallery.services import media_store_video
    from workers.video.base import TalkingJob
    from workers.video.sadtalker import SadTalkerEngine

    request = VideoRequest.from_json(job.parameters)
    work.mkdir()
    started = time.perf_counter()
    result = SadTalkerEngine().run(
        TalkingJob(job_id=str(job.id), request=request, character=character, audio=audio, work_dir=work)
    )
    engine_done = time.perf_counter()
    media_store_video(job=job, index=0, mp4=result.mp4, webm=result.webm, poster=result.poster, duration=SECONDS,
                      parameters=job.parameters)  # fmt: skip
    stored = time.perf_counter()
    details = result.details
    total = stored - started
    service = details["service_seconds"]
    return {
        "total_s": round(total, 3),
        "service_s": service,
        "upload_s": details["submit_seconds"],
        "polling_wait_beyond_service_s": round(details["wait_seconds"] - service, 3),
        "download_s": details["download_seconds"],
        "reencode_and_poster_s": round(
            engine_done - started - details["submit_seconds"] - details["wait_seconds"] - details["download_seconds"], 3
        ),  # fmt: skip
        "store_s": round(stored - engine_done, 3),
        "overhead_ratio": round((total - service) / service, 3),
    }


def measure() -> None:
    """In the child process (scratch database and media): RUNS jobs through the real service; prints JSON."""
    from apps.accounts.models import User
    from apps.catalog.video_request import VIDEO_ENGINE_SADTALKER, VideoRequest
    from apps.jobs.models import Job, JobKind, JobStatus
    from seidra.local_sadtalker import sadtalker_server_running
    from workers.video.samples import astronaut_png, speech_wav

    owner = User.objects.create_user(username="bench-video", password="a-long-bench-passphrase")
    request = VideoRequest(prompt="bench", duration=SECONDS, size=SIZE, still=True, engine=VIDEO_ENGINE_SADTALKER)
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="seidra-bench-sadtalker-inputs-") as scratch,
        sadtalker_server_running(env={"SADTALKER_TEST_SECONDS_PER_STEP": SECONDS_PER_STEP}) as server,
    ):
        settings.SEIDRA_SADTALKER_URL = server.url
        character = astronaut_png(Path(scratch) / "character.png")
        audio = speech_wav(Path(scratch) / "audio.wav", seconds=SECONDS)
        for index in range(RUNS):
            job = Job.objects.create(owner=owner, kind=JobKind.VIDEO, status=JobStatus.RUNNING,
                                     engine=VIDEO_ENGINE_SADTALKER, parameters=request.to_json())  # fmt: skip
            runs.append(_one_run(job, work=Path(scratch) / f"work-{index}", character=character, audio=audio))
    medians = {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}
    print(
        json.dumps({
            "video_seconds": SECONDS, "size": SIZE, "poll_seconds": settings.SEIDRA_SADTALKER_POLL_SECONDS,
            "test_command_seconds_per_step": float(SECONDS_PER_STEP), "median": medians, "runs": runs,
        })
    )  # fmt: skip
