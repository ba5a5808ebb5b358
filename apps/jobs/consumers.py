"""`/ws/jobs/`: live events of the signed-in user's jobs.

- `/ws/jobs/` streams every job of the user; `/ws/jobs/?job=<id>` only that one (404-like close
  for another user's job).
- JSON messages by default: `{"type": "job.progress", "job": {...}}` (see apps/jobs/events.py);
  `?format=html` sends htmx out-of-band fragments instead, for pages using the htmx ws extension.
- `?format=html&list=row|card` (plus the jobs page's `status`/`kind` filters) says which list the
  page shows: a job queued elsewhere (API, another tab) that the list would show is sent with the
  fragment that puts it on top (templates/jobs/_job-insert.html).
- While the user has QUEUED jobs, the consumer also hears when the queue moves (events.QUEUE_GROUP)
  and sends those jobs again with their places (`jobs.queue`: queue_position, jobs_ahead, live_workers).
- On connect a snapshot re-reads the rows (active and recently finished jobs), so a socket that
  was closed resumes from the database: events missed meanwhile are not needed. A socket kept open
  through a Redis outage gets the same snapshot when the channel layer is back, and a handshake
  during the outage is closed with 4503 (apps/core/channel_watch.py).
"""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.core.channel_watch import LayerOutageMixin
from apps.core.parsers import JsonInputError, json_loads_bounded

from .events import EVENT_QUEUE, EVENT_QUEUED, QUEUE_GROUP, job_group, job_state, user_jobs_group
from .models import ACTIVE_STATUSES, Job, JobStatus
from .selectors import job_list, job_list_filters, job_queue_places

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
SNAPSHOT_RECENT = timedelta(minutes=10)
SNAPSHOT_MAX = 20
LIST_SHAPES = ("row", "card")  # the jobs table's rows, the create page's recent-jobs cards


@database_sync_to_async
def _snapshot(user, job_id: uuid.UUID | None) -> list[dict]:
    jobs = Job.objects.filter(owner=user)
    if job_id is not None:
        jobs = jobs.filter(pk=job_id)
    else:
        recent = timezone.now() - SNAPSHOT_RECENT
        jobs = (jobs.filter(status__in=ACTIVE_STATUSES) | jobs.filter(updated__gte=recent)).order_by("-updated")
    places = job_queue_places(owner=user)
    return [
        job_state(job, queue_place=places.get(str(job.pk))) for job in jobs.prefetch_related("outputs")[:SNAPSHOT_MAX]
    ]


@database_sync_to_async
def _waiting(user, job_id: uuid.UUID | None) -> list[dict]:
    """The user's QUEUED jobs (or the socket's one job, if QUEUED) with their places in the queue."""
    jobs = Job.objects.filter(owner=user, status=JobStatus.QUEUED)
    if job_id is not None:
        jobs = jobs.filter(pk=job_id)
    places = job_queue_places(owner=user)
    return [job_state(job, queue_place=places.get(str(job.pk))) for job in jobs]


def _has_waiting(states: list[dict]) -> bool:
    return any(state["status"] == JobStatus.QUEUED for state in states)


@database_sync_to_async
def _list_insert(user, job_id: str, *, shape: str, filters: dict, language: str) -> str:
    """The fragment putting a new job on top of the page's list, or "" when the list would not show
    it: the list's own selector decides, filters included."""
    job = job_list(owner=user, **filters).filter(pk=job_id).first()
    if job is None:
        return ""
    with translation.override(language):
        return render_to_string("jobs/_job-insert.html", {"job": job, "shape": shape, "user": user})


def _language(scope) -> str:
    wanted = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class JobConsumer(LayerOutageMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.user_id = user.pk
        self.html = query.get("format", [""])[0] == "html"
        shape = query.get("list", [""])[0]
        self.list_shape = shape if self.html and shape in LIST_SHAPES else None
        self.list_filters = job_list_filters({name: values[0] for name, values in query.items()})
        self.language = _language(self.scope)
        self.nsfw_display = user.nsfw_display  # how flagged outputs are shown (apps.gallery.display)
        self.job_id = None
        if "job" in query:
            try:
                self.job_id = uuid.UUID(query["job"][0])
            except ValueError:
                await self.close(code=CLOSE_NOT_FOUND)
                return
        self.watching_queue = False
        snapshot = await _snapshot(user, self.job_id)
        if self.job_id is not None and not snapshot:
            await self.close(code=CLOSE_NOT_FOUND)  # another user's job does not exist
            return
        self.group_name = job_group(self.job_id) if self.job_id else user_jobs_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self._send_snapshot(snapshot)
        self.watch_layer()

    async def layer_restored(self) -> None:
        # Events sent while Redis was away are lost: what the page shows is read again.
        await self._send_snapshot(await _snapshot(self.scope["user"], self.job_id))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        await self._watch_queue(False)

    async def _watch_queue(self, watch: bool) -> None:
        """Join the queue's group while the user has waiting jobs: only they need to hear it move."""
        if watch == getattr(self, "watching_queue", False):
            return
        self.watching_queue = watch
        if watch:
            await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        else:
            await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)

    async def queue_changed(self, event: dict) -> None:
        waiting = await _waiting(self.scope["user"], self.job_id)
        await self._watch_queue(bool(waiting))
        if self.html:
            for state in waiting:
                await self.send(text_data=self._fragment(EVENT_QUEUE, state))
        elif waiting:
            await self.send_json({"type": EVENT_QUEUE, "jobs": waiting})

    @classmethod
    async def decode_json(cls, text_data):
        # A frame that is not bounded JSON (1,000 nested arrays, garbage) is ignored, like any
        # message other than the snapshot request, instead of ending the consumer with a traceback.
        try:
            return json_loads_bounded(text_data)
        except JsonInputError:
            return None

    async def receive_json(self, content, **kwargs) -> None:
        # The one request a client can make: re-read its jobs (after a gap, or to poll).
        if isinstance(content, dict) and content.get("type") == "jobs.snapshot":
            snapshot = await _snapshot(self.scope["user"], self.job_id)
            await self._send_snapshot(snapshot)

    async def _send_snapshot(self, snapshot: list[dict]) -> None:
        await self._watch_queue(_has_waiting(snapshot))
        if self.html:
            for state in reversed(snapshot):
                await self.send(text_data=self._fragment("job.snapshot", state))
        else:
            await self.send_json({"type": "jobs.snapshot", "jobs": snapshot})

    async def job_event(self, event: dict) -> None:
        if event.get("owner") != self.user_id:
            return  # groups are per owner already; this guards a misrouted message
        if event["event"] == EVENT_QUEUED:
            await self._watch_queue(True)
        if self.html:
            insert = ""
            # A job queued again by recovery (attempts > 0) is listed already, maybe further down.
            if event["event"] == EVENT_QUEUED and self.list_shape and not event["job"]["attempts"]:
                insert = await _list_insert(
                    self.scope["user"], event["job"]["id"],
                    shape=self.list_shape, filters=self.list_filters, language=self.language,
                )  # fmt: skip
            # The new item first, so the live parts that follow find their places in it.
            await self.send(text_data=insert + self._fragment(event["event"], event["job"]))
        else:
            await self.send_json({"type": event["event"], "job": event["job"]})

    def _fragment(self, event: str, state: dict) -> str:
        with translation.override(self.language):
            # A socket following one job is that job's page: the only one showing its parameters (the seed).
            context = {
                "job": state, "event": event, "job_page": self.job_id is not None, "nsfw_display": self.nsfw_display,
            }  # fmt: skip
            return render_to_string("jobs/_job-live.html", context)
