"""The step hook of a running job: live events, throttled row updates, previews, cancellation.

A step costs no network round trip: cancel requests arrive by Redis pub/sub in a background
thread and set a flag in memory (the row's flag is read every SEIDRA_CANCEL_CHECK_SECONDS, for
what a Redis outage lost); at most 10 events a second are handed to the background
publisher; the row is written at most twice a second. The last step always produces an event
and a save, so clients and the database both see 100 %.
"""

import base64
import io
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from redis import Redis
from redis.exceptions import RedisError

from apps.jobs import queueing
from apps.jobs.events import EVENT_PROGRESS, job_event_send, job_state
from apps.jobs.models import Job
from apps.jobs.services import job_progress_save

from .engines.base import Progress

logger = logging.getLogger(__name__)
PREVIEW_QUALITY = 80


@dataclass
class StageProgress:
    """The Progress of a job counted in named stages rather than denoising steps (a video job:
    "preparing", "lipsync", "encoding" over a total of 100): the reporter shows `stage` as it is."""

    step: int
    total: int
    stage: str
    image: object = None  # a PIL image to preview, if the stage has one
    cancelled: bool = False
    decoding: None = None

    def cancel(self) -> None:
        self.cancelled = True

    def preview(self):
        return self.image


def preview_data_url(image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=PREVIEW_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


class CancelWatch:
    """Set when the job is cancelled: subscribed before the flag is read, so no request is missed.

    A Redis outage drops the subscription (and a restart empty drops the flag): the listener
    subscribes again, with a backoff, and reads the flag again each time. Whatever Redis lost,
    ProgressReporter still reads the row's `cancel_requested` every SEIDRA_CANCEL_CHECK_SECONDS."""

    POLL_SECONDS = 0.5  # how long the thread may outlive its job
    MAX_BACKOFF_SECONDS = 5.0

    def __init__(self, *, job_id: str, connection: Redis) -> None:
        self.job_id = job_id
        self.key = queueing.CANCEL_KEY.format(job_id=job_id)
        self.requested = threading.Event()
        self.closed = threading.Event()
        # Held for the pub/sub's lifetime: a redis-py client closes its pool when collected, and the
        # subscription's connection with it.
        self.connection = connection
        self.pubsub = None
        try:
            self._subscribe()
        except RedisError:
            self.pubsub = None  # the listener tries again; the row is read meanwhile
        threading.Thread(target=self._listen, name=f"seidra-cancel-{job_id}", daemon=True).start()

    def _subscribe(self) -> None:
        pubsub = self.connection.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.key)
            if queueing.cancel_flag_is_set(job_id=self.job_id, connection=self.connection):
                self.requested.set()
        except RedisError:
            pubsub.close()
            raise
        self.pubsub = pubsub

    def _listen(self) -> None:
        # The thread closes its own connection: closing it from outside while it waits in a
        # read would raise in this thread.
        delay, lost_at = self.POLL_SECONDS, None
        try:
            while not self.closed.is_set() and not self.requested.is_set():
                try:
                    if self.pubsub is None:
                        self._subscribe()
                        if lost_at is not None:
                            logger.warning("cancel listener of job %s subscribed again", self.job_id)
                            lost_at, delay = None, self.POLL_SECONDS
                    if self.pubsub.get_message(timeout=self.POLL_SECONDS) is not None:
                        self.requested.set()
                except RedisError as error:
                    if lost_at is None:
                        lost_at = time.monotonic()
                        logger.warning("cancel listener of job %s lost Redis (%s); subscribing again", self.job_id,
                                       error)  # fmt: skip
                    self._drop()
                    self.closed.wait(delay)
                    delay = min(delay * 2, self.MAX_BACKOFF_SECONDS)
        finally:
            self._drop()

    def _drop(self) -> None:
        if self.pubsub is not None:
            try:
                self.pubsub.close()
            except RedisError:
                pass
            self.pubsub = None

    def close(self) -> None:
        self.closed.set()


class ProgressReporter:
    def __init__(self, *, job: Job, worker_name: str, connection: Redis) -> None:
        self.job = job
        self.worker_name = worker_name
        self.preview_every = settings.SEIDRA_PREVIEW_EVERY
        self.event_interval = 1.0 / settings.SEIDRA_PROGRESS_EVENTS_PER_SECOND
        self.save_interval = 1.0 / settings.SEIDRA_PROGRESS_SAVES_PER_SECOND
        self.started = time.monotonic()
        self.first_step_at: float | None = None
        self.last_event_at = float("-inf")
        self.last_save_at = float("-inf")
        self.preview_pending = False
        self.lost = False  # the job was recovered onto another worker: stop working on it
        self.cancel_check_interval = settings.SEIDRA_CANCEL_CHECK_SECONDS
        self.last_cancel_check = float("-inf")
        self.cancel_watch = CancelWatch(job_id=str(job.pk), connection=connection)

    def cancel_requested(self) -> bool:
        if self.lost or self.cancel_watch.requested.is_set():
            return True
        now = time.monotonic()
        if now - self.last_cancel_check >= self.cancel_check_interval:
            # The row is the truth when Redis lost the live message (outage, restart empty).
            self.last_cancel_check = now
            if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
                self.cancel_watch.requested.set()
                return True
        return False

    def close(self) -> None:
        self.cancel_watch.close()

    def _eta(self, now: float, step: int, total: int) -> float:
        # From step 2 on, the pace of denoising alone (model loading and prompt encoding excluded).
        if step >= 2 and self.first_step_at is not None:
            per_step = (now - self.first_step_at) / (step - 1)
        else:
            per_step = now - self.started
        return per_step * (total - step)

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        step, total = progress.step, progress.total
        if step == 1:
            self.first_step_at = now
        if self.cancel_requested():
            progress.cancel()
            return
        if getattr(progress, "decoding", None) is not None:
            return  # a cancel check around an image's VAE decode: the last step was reported already
        last = step >= total
        eta = 0.0 if last else self._eta(now, step, total)
        stage = getattr(progress, "stage", None) or ("decoding" if last else "denoising")
        if self.preview_every and step % self.preview_every == 0:
            self.preview_pending = True

        if last or now - self.last_save_at >= self.save_interval:
            self.last_save_at = now
            if not job_progress_save(
                job_id=str(self.job.pk), worker_name=self.worker_name, step=step, total=total, eta=eta, stage=stage
            ):
                self.lost = True
                progress.cancel()
                return

        if last or now - self.last_event_at >= self.event_interval:
            self.last_event_at = now
            self._send(step=step, total=total, eta=eta, stage=stage, progress=progress)

    def _send(self, *, step: int, total: int, eta: float, stage: str, progress) -> None:
        job = self.job
        job.step, job.total_steps, job.eta_seconds, job.stage = step, total, eta, stage
        job.progress = step / total if total else 0.0
        state = job_state(job, with_outputs=False)
        if self.preview_pending:
            # An engine may have no frame yet (a remote server sends previews when it has them):
            # the preview stays pending for a later event.
            image = progress.preview()
            if image is not None:
                self.preview_pending = False
                state["preview"] = preview_data_url(image)
        job_event_send(job, EVENT_PROGRESS, state=state)
