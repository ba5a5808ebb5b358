"""The step hook of a running job: live events, throttled row updates, previews, cancellation.

A step costs no network round trip: cancel requests arrive by Redis pub/sub in a background
thread and set a flag in memory; at most 10 events a second are handed to the background
publisher; the row is written at most twice a second. The last step always produces an event
and a save, so clients and the database both see 100 %.
"""

import base64
import io
import logging
import threading
import time

from django.conf import settings
from redis import Redis

from apps.jobs import queueing
from apps.jobs.events import EVENT_PROGRESS, job_event_send, job_state
from apps.jobs.models import Job
from apps.jobs.services import job_progress_save

logger = logging.getLogger(__name__)
PREVIEW_QUALITY = 80


def preview_data_url(image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=PREVIEW_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


class CancelWatch:
    """Set when the job is cancelled: subscribed before the flag is read, so no request is missed."""

    POLL_SECONDS = 0.5  # how long the thread may outlive its job

    def __init__(self, *, job_id: str, connection: Redis) -> None:
        self.requested = threading.Event()
        self.closed = threading.Event()
        # Held for the pub/sub's lifetime: a redis-py client closes its pool when collected, and the
        # subscription's connection with it.
        self.connection = connection
        self.pubsub = connection.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(queueing.CANCEL_KEY.format(job_id=job_id))
        threading.Thread(target=self._listen, name=f"seidra-cancel-{job_id}", daemon=True).start()
        if queueing.cancel_flag_is_set(job_id=job_id, connection=connection):
            self.requested.set()

    def _listen(self) -> None:
        # The thread closes its own connection: closing it from outside while it waits in a
        # read would raise in this thread.
        try:
            while not self.closed.is_set() and not self.requested.is_set():
                if self.pubsub.get_message(timeout=self.POLL_SECONDS) is not None:
                    self.requested.set()
        except Exception:  # Redis gone: the job goes on, but cannot be cancelled live any more
            logger.warning("cancel listener stopped", exc_info=True)
        finally:
            self.pubsub.close()

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
        self.cancel_watch = CancelWatch(job_id=str(job.pk), connection=connection)

    def cancel_requested(self) -> bool:
        return self.lost or self.cancel_watch.requested.is_set()

    def close(self) -> None:
        self.cancel_watch.close()

    def _eta(self, now: float, step: int, total: int) -> float:
        # From step 2 on, the pace of denoising alone (model loading and prompt encoding excluded).
        if step >= 2 and self.first_step_at is not None:
            per_step = (now - self.first_step_at) / (step - 1)
        else:
            per_step = now - self.started
        return per_step * (total - step)

    def __call__(self, progress) -> None:
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
        stage = "decoding" if last else "denoising"
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
            self.preview_pending = False
            state["preview"] = preview_data_url(progress.preview())
        job_event_send(job, EVENT_PROGRESS, state=state)
