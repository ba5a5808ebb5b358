"""Reads on jobs. Every read is scoped to an owner: another user's job does not exist (404)."""

import logging
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from apps.accounts.models import User
from apps.core.errors import SeidraError

from . import queueing
from .models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)


def job_list_filters(query) -> dict[str, str]:
    """The filters a job list is asked for (`status`, `kind` from a query string), unknown values
    dropped: one reading for the jobs page and for its websocket, which adds new jobs that match."""
    wanted = {"status": query.get("status", ""), "kind": query.get("kind", "")}
    allowed = {"status": JobStatus.values, "kind": JobKind.values}
    return {name: value for name, value in wanted.items() if value in allowed[name]}


def job_list(*, owner: User, status: str | None = None, kind: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.filter(owner=owner).prefetch_related("outputs")
    if status:
        jobs = jobs.filter(status=status)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-created")


def job_get_for_user(*, user: User, job_id) -> Job:
    try:
        job = Job.objects.filter(owner=user, pk=uuid.UUID(str(job_id))).first()
    except ValueError:  # a malformed id is just "not found"
        job = None
    if job is None:
        raise SeidraError(_("No such job."), status=404)
    return job


def job_seed_used(*, job: Job) -> int | None:
    """The seed a job ran with: the requested one, else the one the worker drew (its first image's:
    a batch uses seed, seed + 1, ...); None when it was random and no image recorded it."""
    if job.parameters.get("seed") is not None:
        return job.parameters["seed"]
    first = min(job.outputs.all(), key=lambda media: media.index, default=None)
    return None if first is None else first.parameters.get("seed")


@dataclass(frozen=True)
class QueuePlace:
    """Where a QUEUED job waits, as its owner may see it."""

    position: int  # 1-based, among the owner's own waiting jobs in queue order
    ahead: int  # jobs to be served before it, anyone's: those waiting ahead of it plus those running
    live_workers: int  # 0: no worker is running, so nothing moves until one starts


def job_queue_places(*, owner: User) -> dict[str, QueuePlace]:
    """The place of each of the owner's QUEUED jobs (by job id): the one place positions are
    computed, for pages, the API and live events. Other users' jobs count in `ahead` only, and only
    in the same engine's queue. One Redis round trip per engine with waiting jobs; none when the
    owner has no waiting job. A job missing from the queue (being taken by a worker, or waiting to
    be pushed again) has no place."""
    by_engine: dict[str, list[str]] = {}
    for job_id, engine in Job.objects.filter(owner=owner, status=JobStatus.QUEUED).values_list("pk", "engine"):
        by_engine.setdefault(engine, []).append(str(job_id))
    places: dict[str, QueuePlace] = {}
    for engine, waiting in by_engine.items():  # each engine has its queue and its workers
        try:
            indexes, live_workers = queueing.queue_places(
                job_ids=waiting, queue_name=queueing.engine_queue_name(engine)
            )
        except RedisError:
            logger.warning("Redis unreachable: queue positions are not shown", exc_info=True)
            return {}
        running = Job.objects.filter(status=JobStatus.RUNNING, engine=engine).count()  # each holds a worker
        in_order = sorted(indexes.items(), key=lambda item: item[1])
        places.update(
            (job_id, QueuePlace(position=rank, ahead=index + running, live_workers=live_workers))
            for rank, (job_id, index) in enumerate(in_order, start=1)
        )
    return places
