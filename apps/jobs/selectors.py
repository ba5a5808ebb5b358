"""Reads on jobs. Every read is scoped to an owner: another user's job does not exist (404)."""

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import SeidraError

from .models import Job


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
