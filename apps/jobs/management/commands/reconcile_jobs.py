"""Bring the job rows and Redis back in step (what every GPU worker also does at start and periodically)."""

from django.core.management.base import BaseCommand, CommandError
from redis.exceptions import RedisError

from apps.jobs.recovery import jobs_reconcile


class Command(BaseCommand):
    help = (
        "Recover jobs: a RUNNING job whose worker is gone is queued again once, then FAILED with "
        "'worker lost'; a QUEUED job missing from Redis (Redis restarted empty) is queued again. "
        "Safe to run at any time, on any host."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--grace",
            type=int,
            default=None,
            help="Seconds a QUEUED job may be absent from Redis before it is pushed again "
            "(default SEIDRA_QUEUE_GRACE_SECONDS, 30; none right after Redis restarted empty).",
        )

    def handle(self, *args, grace: int | None, **options) -> None:
        if grace is not None and grace < 0:
            raise CommandError("--grace must be 0 or more seconds.")
        try:
            report = jobs_reconcile(queued_grace_seconds=grace)
        except RedisError as error:
            raise CommandError(f"Redis is not reachable ({error}); check REDIS_URL.") from None
        self.stdout.write(
            f"re-queued after a lost worker: {len(report.requeued_lost)}; "
            f"failed (worker lost twice): {len(report.failed_lost)}; "
            f"re-queued (missing from Redis): {len(report.requeued_missing)}"
        )
        for label, ids in (
            ("requeued", report.requeued_lost),
            ("failed", report.failed_lost),
            ("pushed", report.requeued_missing),
        ):
            for job_id in ids:
                self.stdout.write(f"  {label} {job_id}")
