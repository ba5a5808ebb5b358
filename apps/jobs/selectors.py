"""Reads on jobs. Every read is scoped to an owner: another user's job does not exist (404)."""

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import SeidraError

from .models import Job, JobKind, JobStatus


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
