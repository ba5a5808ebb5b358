"""The SadTalker engine: the lip-sync made by a SadTalker service on a GPU box (ops/sadtalker/).

1. Submit the character and the prepared WAV with the job's options, or take up the service job an
   earlier attempt of this job recorded (its id is saved on the row at once, so a worker that dies
   while SadTalker works does not pay for a second run).
2. Poll every SEIDRA_SADTALKER_POLL_SECONDS, relaying the service's progress as "lipsync"; a cancel
   is forwarded with DELETE, and a job past SEIDRA_SADTALKER_JOB_TIMEOUT is deleted there and FAILED.
3. Download the mp4, forget the job on the service, re-encode it to the project's two outputs
   (workers/video/encode.py: the size asked, FPS, the exact duration, the prepared track under it).
4. The poster: the first frame of the new mp4.
"""

import subprocess
import time
from pathlib import Path

from django.conf import settings
from PIL import Image

from apps.catalog.sadtalker_client import SadTalkerClient, SadTalkerError, SadTalkerHttpError
from apps.catalog.video_request import VIDEO_ENGINE_SADTALKER
from apps.core.audio import ffmpeg_exe
from workers.engines.errors import EngineError, GenerationCancelled

from .base import TalkingJob, TalkingResult
from .encode import EncodeError, video_reencode

DETAILS_JOB_ID = "sadtalker_job_id"
DETAILS_URL = "sadtalker_url"
# Between two polls the cancel flag is looked at this often, so a cancel does not wait a whole poll.
CANCEL_CHECK_SECONDS = 0.2


def sadtalker_options(job: TalkingJob) -> dict:
    """The service's form fields from the request (SadTalker's own option names)."""
    request = job.request
    return {
        "size": request.size, "still": request.still, "preprocess": request.preprocess,
        "enhancer": "gfpgan" if request.enhancer else "none", "pose_style": request.pose_style,
        "expression_scale": request.expression_scale,
    }  # fmt: skip


class SadTalkerEngine:
    name = VIDEO_ENGINE_SADTALKER

    def __init__(self, client: SadTalkerClient | None = None) -> None:
        self.client = client or SadTalkerClient(
            settings.SEIDRA_SADTALKER_URL,
            timeout=settings.SEIDRA_SADTALKER_HTTP_TIMEOUT,
            retries=settings.SEIDRA_SADTALKER_RETRIES,
        )

    def run(self, job: TalkingJob) -> TalkingResult:
        try:
            started = time.monotonic()
            remote_id, details = self._submit_or_resume(job)
            details["submit_seconds"] = round(time.monotonic() - started, 3)
            started = time.monotonic()
            service = self._wait(job, remote_id)
            details["wait_seconds"] = round(time.monotonic() - started, 3)
            started = time.monotonic()
            source = self.client.job_video_download(remote_id, job.work_dir / "sadtalker.mp4")
            details["download_seconds"] = round(time.monotonic() - started, 3)
            self._forget(remote_id)
        except SadTalkerError as error:
            raise EngineError(error.message) from error
        details["service_seconds"] = service.seconds
        started = time.monotonic()
        out_dir = job.work_dir / "encoded"
        out_dir.mkdir(exist_ok=True)
        try:
            encoded = video_reencode(
                source=source, audio=job.audio, seconds=job.request.duration, size=job.request.size,
                out_dir=out_dir, progress=lambda fraction: job.progress("encoding", fraction),
                cancel_requested=job.cancel_requested,
            )  # fmt: skip
        except EncodeError as error:
            if job.cancel_requested():
                raise GenerationCancelled(100) from error
            raise EngineError(f"SadTalker's video could not be re-encoded: {error}") from error
        details["reencode_seconds"] = round(time.monotonic() - started, 3)
        return TalkingResult(
            mp4=encoded.mp4, webm=encoded.webm, poster=first_frame(encoded.mp4, job.work_dir), details=details
        )

    # --- 1. submit, or take up an earlier attempt's job -----------------------------------------
    def _submit_or_resume(self, job: TalkingJob) -> tuple[str, dict]:
        details = dict(job.details)
        earlier = details.get(DETAILS_JOB_ID)
        if earlier and details.get(DETAILS_URL) == self.client.base_url:
            try:
                if self.client.job_status(earlier).status not in ("failed", "cancelled"):
                    return earlier, details
            except SadTalkerHttpError as error:
                if error.status != 404:  # 404: forgotten (retention, restart): submit again
                    raise
        remote_id = self.client.job_submit(image=job.character, audio=job.audio, options=sadtalker_options(job))
        details.update({DETAILS_JOB_ID: remote_id, DETAILS_URL: self.client.base_url})
        job.save_details(details)
        return remote_id, details

    # --- 2. follow it ---------------------------------------------------------------------------
    def _wait(self, job: TalkingJob, remote_id: str):
        deadline = time.monotonic() + settings.SEIDRA_SADTALKER_JOB_TIMEOUT
        while True:
            status = self.client.job_status(remote_id)
            job.progress("lipsync", status.progress)
            if status.status == "succeeded":
                return status
            if status.status == "failed":
                raise EngineError(f"SadTalker failed: {status.error or 'no message'}")
            if status.status == "cancelled":
                raise EngineError(f"The SadTalker service at {self.client.base_url} cancelled the job.")
            pause_until = time.monotonic() + settings.SEIDRA_SADTALKER_POLL_SECONDS
            while True:
                if job.cancel_requested():
                    self._forget(remote_id)
                    raise GenerationCancelled(int(status.progress * 100))
                if time.monotonic() >= deadline:
                    self._forget(remote_id)
                    raise EngineError(
                        f"SadTalker did not finish within {settings.SEIDRA_SADTALKER_JOB_TIMEOUT} seconds "
                        "(SEIDRA_SADTALKER_JOB_TIMEOUT): the job was cancelled on the service."
                    )
                if time.monotonic() >= pause_until:
                    break
                time.sleep(min(CANCEL_CHECK_SECONDS, max(0.0, pause_until - time.monotonic())))

    def _forget(self, remote_id: str) -> None:
        """DELETE on the service: stops its command if it runs, frees its files. Best effort: the
        service forgets finished jobs by itself after its retention time."""
        try:
            self.client.job_cancel(remote_id)
        except SadTalkerError:
            pass


def first_frame(video: Path, work_dir: Path) -> Image.Image:
    """The video's first frame as a PIL image (the poster)."""
    target = work_dir / "poster.png"
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(video), "-frames:v", "1",
         str(target)], capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0 or not target.exists():
        raise EngineError(f"the poster of the video could not be read: {result.stderr.strip()[-300:]}")
    with Image.open(target) as image:
        return image.convert("RGB")
