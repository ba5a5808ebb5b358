"""Live job events: what travels over the channel layer to `/ws/jobs/` (small JSON, never objects).

Events are lossy by design: a page or client that reconnects re-reads the rows (the consumer
sends a snapshot on connect), so nothing here is needed to know a job's final state.
"""

import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.catalog.models import Engine
from apps.catalog.video_request import VIDEO_ENGINE_LABELS
from apps.gallery.serving import media_file_url
from apps.gallery.thumbnails import thumbnail_srcset, thumbnail_url

from .models import Job, JobStatus

logger = logging.getLogger(__name__)

CHANNEL_EVENT_TYPE = "job.event"  # handled by JobConsumer.job_event
EVENT_QUEUED = "job.queued"
EVENT_STARTED = "job.started"
EVENT_PROGRESS = "job.progress"
EVENT_FINISHED = "job.finished"  # SUCCEEDED, FAILED or CANCELLED: the last event of a job
# The queue moved (a job queued, taken, finished, cancelled): sent once to QUEUE_GROUP, which only
# the consumers of users with waiting jobs join; each re-reads its user's places (JobConsumer.queue_changed).
QUEUE_GROUP = "jobs.queue"
QUEUE_CHANGED_TYPE = "queue.changed"
EVENT_QUEUE = "jobs.queue"  # what a consumer sends its client then: the user's waiting jobs


def job_group(job_id) -> str:
    return f"jobs.job.{job_id}"


def user_jobs_group(user_id: int) -> str:
    return f"jobs.user.{user_id}"


def media_state(media) -> dict:
    return {
        "id": str(media.id),
        "kind": media.kind,  # "image", "video" or "audio" (a video's sound, kept as its own media)
        "url": media_file_url(media),  # the PNG, the MP4, or the audio track
        "webm_url": media_file_url(media, "webm") or None,  # a video's WebM (VP9 + Opus)
        "poster_url": media_file_url(media, "poster") or None,  # a video's first frame, JPEG
        "duration": media.duration,  # seconds, of a video or an audio track
        "thumbnail": thumbnail_url(media),
        "srcset": thumbnail_srcset(media),  # the pages' <img>: the browser picks the size it shows
        "width": media.width,
        "height": media.height,
        "seed": media.parameters.get("seed"),
        # For the viewer's display decision (apps.gallery.display): flagged by the NSFW detector, and
        # the moderation state ("", "approved", "hidden").
        "flagged": media.flagged,
        "moderation": media.moderation,
    }


def job_engine_label(engine: str) -> str:
    """What made the job's results, as pages and the API name it; the local video engine says that its
    mouth motion is only approximate (VIDEO_ENGINE_LABELS)."""
    if engine in VIDEO_ENGINE_LABELS:
        return str(VIDEO_ENGINE_LABELS[engine])
    return str(dict(Engine.choices).get(engine, engine))


def job_state(job: Job, *, with_outputs: bool = True, queue_place=None) -> dict:
    """The job as clients see it, in events, in the API and in the resume snapshot. `queue_place`
    (apps.jobs.selectors.QueuePlace) says where a QUEUED job waits; without it those fields are null."""
    place = queue_place if job.status == JobStatus.QUEUED else None
    state = {
        "id": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "progress": round(job.progress, 4),
        "step": job.step,
        "total": job.total_steps,
        "eta": None if job.eta_seconds is None else round(job.eta_seconds, 1),
        "stage": job.stage,
        "error": job.error,
        "attempts": job.attempts,
        # The requested seed (None: random), so live fragments can tell a drawn seed (outputs) from a fixed one.
        "seed": job.parameters.get("seed"),
        "created": job.created.isoformat() if job.created else None,
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "queue_position": place.position if place else None,
        "jobs_ahead": place.ahead if place else None,
        "live_workers": place.live_workers if place else None,
        "engine_label": job_engine_label(job.engine),
    }
    if with_outputs:
        # Sorted here, not with order_by, so a prefetch of the outputs (job lists) is used as is.
        outputs = sorted(job.outputs.all(), key=lambda media: media.index) if job.is_final else []
        state["outputs"] = [media_state(media) for media in outputs]
    return state


def event_message(event: str, state: dict, *, owner_id: int) -> dict:
    return {"type": CHANNEL_EVENT_TYPE, "event": event, "owner": owner_id, "job": state}


def _send_now(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # Redis down must not fail the write that changed the job
        logger.warning("could not send %s to %s", message.get("event", message["type"]), groups, exc_info=True)


# A worker replaces this with its non-blocking publisher (workers/events.py); the web process
# sends at once.
_sender: Callable[[list[str], dict], None] = _send_now


def event_sender_set(sender: Callable[[list[str], dict], None] | None) -> None:
    global _sender
    _sender = sender or _send_now


def job_event_send(job: Job, event: str, *, state: dict | None = None) -> None:
    message = event_message(event, state or job_state(job), owner_id=job.owner_id)
    _sender([job_group(job.id), user_jobs_group(job.owner_id)], message)


def queue_changed_send() -> None:
    _sender([QUEUE_GROUP], {"type": QUEUE_CHANGED_TYPE})
