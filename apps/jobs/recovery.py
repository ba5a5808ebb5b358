"""Reconcile the job rows (the truth) with Redis (the transport): no job stays RUNNING or QUEUED forever.

Every GPU worker checks for lost jobs at every beat (`jobs_recover_lost`: one query and one Redis
round trip), and runs the whole reconcile at start, every SEIDRA_RECONCILE_INTERVAL seconds and
after a Redis outage; `manage.py reconcile_jobs` runs it by hand. Safe to run anywhere, any number
of times at once: each change is a conditional update on the row.

A job is taken for lost only when every sign says its worker stopped: its liveness key expired
(SEIDRA_WORKER_HEARTBEAT_TTL, several beats), it was not started within that TTL (a worker marks
itself alive as it takes a job), RQ's own registry has no heartbeat of that worker within the TTL,
and Redis has held its data for at least the TTL (after a restart empty, no worker has had time to
beat again).
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
    redis_reset: bool = False  # Redis had lost its data: waiting jobs were pushed without the grace period

    @property
    def changed(self) -> int:
        return len(self.requeued_lost) + len(self.failed_lost) + len(self.requeued_missing)


def jobs_recover_lost(*, report: ReconcileReport | None = None) -> ReconcileReport:
    """RUNNING jobs whose worker stopped beating: queued again once, then FAILED "worker lost"."""
    report = report or ReconcileReport()
    running = list(Job.objects.filter(status=JobStatus.RUNNING).only("pk", "worker_name", "started", "attempts"))
    if not running:
        return report
    ttl = settings.SEIDRA_WORKER_HEARTBEAT_TTL
    alive = queueing.workers_alive(names={job.worker_name for job in running})
    suspects = [job for job in running if job.worker_name not in alive]
    if not suspects:
        return report
    _, dataset_age = queueing.redis_epoch()
    if dataset_age < ttl:
        return report  # Redis restarted empty moments ago: the workers have not beaten since
    recent = timezone.now() - timedelta(seconds=ttl)
    for job in suspects:
        name = job.worker_name
        if job.started and job.started > recent:
            continue  # just taken: its worker marked itself alive as it took the job
        heartbeat_age = queueing.worker_rq_heartbeat_age(name=name) if name else None
        if heartbeat_age is not None and heartbeat_age < ttl:
            logger.info("job %s: worker %s has no liveness key but beat %.0f s ago in RQ", job.pk, name, heartbeat_age)
            continue
        outcome = job_recover_lost(job=job)
        if outcome == "unchanged":
            continue  # another worker's check (or the job's end) came first
        logger.warning(
            "job %s: worker %s is gone (no heartbeat for %s s); %s", job.pk, name or "(none recorded)", ttl, outcome
        )
        if outcome == "requeued":
            report.requeued_lost.append(str(job.pk))
        elif outcome == "failed":
            report.failed_lost.append(str(job.pk))
    return report


def jobs_reconcile(*, queued_grace_seconds: int | None = None, recover_lost: bool = True) -> ReconcileReport:
    report = ReconcileReport()

    # 1. RUNNING jobs whose worker stopped refreshing its liveness key (killed, host down); left out
    #    right after an outage of the caller's own Redis link, when no worker could beat.
    if recover_lost:
        jobs_recover_lost(report=report)

    # 2. QUEUED jobs that Redis does not know (restarted empty, or the enqueue failed). The grace
    #    period leaves alone a job whose submit has just committed and is being pushed; when Redis
    #    has just lost its data there is nothing to wait for (a second push replaces the first).
    _, dataset_age = queueing.redis_epoch()
    report.redis_reset = dataset_age < settings.SEIDRA_WORKER_HEARTBEAT_TTL
    grace = settings.SEIDRA_QUEUE_GRACE_SECONDS if queued_grace_seconds is None else queued_grace_seconds
    if report.redis_reset:
        grace = 0
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
