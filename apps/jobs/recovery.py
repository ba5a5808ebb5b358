"""Reconcile the job rows (the truth) with Redis (the transport): no job stays RUNNING or QUEUED forever.

Run by every GPU worker at start and every SEIDRA_RECONCILE_INTERVAL seconds, and by
`manage.py reconcile_jobs`. Safe to run anywhere, any number of times at once: each change is a
conditional update on the row.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import queueing
from .models import Job, JobStatus
from .services import job_recover_lost, job_requeue_missing

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    requeued_lost: list[str] = field(default_factory=list)
    failed_lost: list[str] = field(default_factory=list)
    requeued_missing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.requeued_lost) + len(self.failed_lost) + len(self.requeued_missing)


def jobs_reconcile(*, queued_grace_seconds: int | None = None) -> ReconcileReport:
    report = ReconcileReport()

    # 1. RUNNING jobs whose worker stopped refreshing its liveness key (killed, host down).
    for job in Job.objects.filter(status=JobStatus.RUNNING):
        if queueing.worker_is_alive(name=job.worker_name):
            continue
        outcome = job_recover_lost(job=job)
        logger.warning("job %s: worker %s is gone; %s", job.pk, job.worker_name or "?", outcome)
        if outcome == "requeued":
            report.requeued_lost.append(str(job.pk))
        elif outcome == "failed":
            report.failed_lost.append(str(job.pk))

    # 2. QUEUED jobs that Redis does not know (restarted empty, or the enqueue failed). The grace
    #    period leaves alone a job whose submit has just committed and is being pushed.
    grace = settings.SEIDRA_QUEUE_GRACE_SECONDS if queued_grace_seconds is None else queued_grace_seconds
    waiting = set(queueing.queued_job_ids())
    known = waiting | queueing.started_job_ids()
    cutoff = timezone.now() - timedelta(seconds=grace)
    for job in Job.objects.filter(status=JobStatus.QUEUED, updated__lte=cutoff).order_by("created"):
        if str(job.pk) not in known and job_requeue_missing(job=job):
            logger.warning("job %s was missing from the queue; queued again", job.pk)
            report.requeued_missing.append(str(job.pk))

    # 3. Owner entries of jobs that left the queue, so the fair order only counts waiting jobs.
    queueing.owners_prune(keep=set(queueing.queued_job_ids()))
    return report
