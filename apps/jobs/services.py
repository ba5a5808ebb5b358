"""Writes on jobs: submit, cancel, retry, delete (interfaces) and the worker's transitions.

Every status change is a conditional UPDATE on the row (`WHERE status = ...`), so two workers,
a cancel and a recovery racing on the same job cannot both win: that is what makes a job run
once and store its outputs once.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.catalog.selectors import model_engine
from apps.core import metrics
from apps.core.errors import ParameterError, SeidraError
from apps.gallery.services import media_storage_quota_check
from apps.moderation.selectors import prompt_check_allowed
from apps.notifications.models import NotificationLevel
from apps.notifications.services import notification_create

from . import queueing
from .events import EVENT_FINISHED, EVENT_QUEUED, EVENT_STARTED, job_event_send, job_state, queue_changed_send
from .models import Job, JobKind, JobStatus, RetrySeed
from .parameters import job_parameters_clean
from .selectors import job_queue_places, job_seed_used
from .video_inputs import video_inputs_complete, video_inputs_copy, video_inputs_delete

logger = logging.getLogger(__name__)

WORKER_LOST = gettext_noop(
    "Worker lost: the worker running this job stopped twice. Check the worker's log, then retry."
)
# Notification texts are stored in English and translated when shown.
NOTIFY_SUCCEEDED = {
    JobKind.IMAGE: gettext_noop("Your image is ready"),
    JobKind.VIDEO: gettext_noop("Your video is ready"),
}
NOTIFY_FAILED = gettext_noop("Your job failed")


def _running_owner_ids(engine: str) -> list[int]:
    """Owners with a job running on the engine: they had their turn in its queue's round 0."""
    running = Job.objects.filter(status=JobStatus.RUNNING, engine=engine)
    return list(running.values_list("owner_id", flat=True).distinct())


def job_enqueue(job: Job) -> None:
    """Put a saved QUEUED job on its engine's queue (call it on commit) and tell the pages."""
    try:
        queueing.job_enqueue(
            job_id=str(job.id),
            kind=job.kind,
            owner_id=job.owner_id,
            running_owner_ids=_running_owner_ids(job.engine),
            engine=job.engine,
        )
    except Exception:  # Redis down: the row stays QUEUED and reconcile pushes it once Redis is back
        logger.warning("could not enqueue job %s; reconcile will retry", job.id, exc_info=True)
        return
    place = job_queue_places(owner=job.owner).get(str(job.id))
    job_event_send(job, EVENT_QUEUED, state=job_state(job, queue_place=place))
    queue_changed_send()  # a job put before others' later ones moves them back


def _queued_count(owner: User) -> int:
    return Job.objects.filter(owner=owner, status=JobStatus.QUEUED).count()


# Retry-After of the "queue full" 429: a hint only, since a slot frees when one of the user's jobs
# starts; about one SDXL job at 30 steps on the reference GPU.
QUEUE_FULL_RETRY_AFTER = 30


def job_queue_limit_check(owner: User) -> None:
    """429 when the owner already has SEIDRA_MAX_QUEUED_PER_USER jobs waiting (every job kind)."""
    limit = settings.SEIDRA_MAX_QUEUED_PER_USER
    if _queued_count(owner) >= limit:
        raise SeidraError(
            _("You already have %(count)s jobs waiting, the most allowed. Wait for one to start, or cancel one.")
            % {"count": limit},
            status=429,
            retry_after=QUEUE_FULL_RETRY_AFTER,
        )


@transaction.atomic
def job_create(*, owner: User, kind: str = JobKind.IMAGE, parameters: dict) -> Job:
    """Validate (ParameterError names the bad fields; `persona` composes first), save QUEUED, enqueue once committed."""
    if kind != JobKind.IMAGE:
        raise SeidraError(_("Only image jobs can be submitted on this server for now."), status=400)
    # Lock the owner's row so two simultaneous submits cannot both pass the limit.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    job_queue_limit_check(owner)
    media_storage_quota_check(owner=owner)
    request = job_parameters_clean(owner=owner, data=parameters)  # a persona composes first
    prompt_check_allowed(prompt=request.prompt)  # the prompt the job would run: ParameterError names `prompt`
    job = Job.objects.create(
        owner=owner,
        kind=kind,
        parameters=request.to_json(),
        engine=model_engine(request.model),  # which engine's queue and worker take it
        total_steps=request.steps,
    )
    transaction.on_commit(lambda: job_enqueue(job))
    job_submitted_on_commit(job)
    return job


def job_submitted_on_commit(job: Job) -> None:
    """Count a new job once its row is committed (a rolled-back submit is no submission)."""
    transaction.on_commit(lambda: metrics.job_submitted_count(kind=job.kind, engine=job.engine))


def job_cancel(*, job: Job) -> Job:
    """A queued job leaves the queue at once; a running one stops at its next step. Both end CANCELLED."""
    if job.is_final:
        message = _("This job has already finished (%(status)s).") % {"status": job.get_status_display()}
        raise SeidraError(message, status=409)
    now = timezone.now()
    if Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, cancel_requested=True, finished=now, stage="cancelled", eta_seconds=None
    ):
        queueing.job_dequeue(job_id=str(job.pk))
        job.refresh_from_db()
        transaction.on_commit(lambda: _finished_send(job))
        return job
    # Already taken by a worker: raise the flag it reads after every step.
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    queueing.cancel_flag_set(job_id=str(job.pk))
    job.refresh_from_db()
    return job


@transaction.atomic
def job_retry(*, job: Job, seed: str = RetrySeed.SAME) -> Job:
    """A new job with the same parameters, and either the seed the job ran with (the requested one,
    or the one drawn for it) or a new random seed: a retry never re-rolls the seed unasked."""
    if job.is_active:
        status = job.get_status_display()
        message = _("This job is still %(status)s; retry it once it has finished.") % {"status": status}
        raise SeidraError(message, status=409)
    if job.kind == JobKind.VIDEO:
        parameters = _video_retry_parameters(job, seed)
    elif seed == RetrySeed.SAME:
        same = job_seed_used(job=job)
        if same is None:
            raise SeidraError(
                _("This job's seed was random and no image kept it: retry it with a new seed."), status=409
            )
        parameters = {**job.parameters, "seed": same}
    elif seed == RetrySeed.NEW:
        parameters = {**job.parameters, "seed": None}
    else:
        raise SeidraError(_('The seed choice must be "same" or "new".'), status=400)
    try:  # a pattern blocked since the job ran refuses its retry too
        prompt_check_allowed(prompt=parameters.get("prompt", ""))
    except ParameterError as error:  # a retry has no prompt field to name: the reason alone
        raise SeidraError(error.errors["prompt"], status=400) from None
    User.objects.select_for_update().filter(pk=job.owner_id).first()
    job_queue_limit_check(job.owner)
    media_storage_quota_check(owner=job.owner)
    retried = Job.objects.create(
        # The row's request as it is (ImageRequest.to_json() of its submit), on the same engine.
        owner=job.owner, kind=job.kind, parameters=parameters, engine=job.engine,
        total_steps=job.total_steps, retry_of=job,
    )  # fmt: skip
    if job.kind == JobKind.VIDEO:
        _video_inputs_copy(job, retried)
    transaction.on_commit(lambda: job_enqueue(retried))
    job_submitted_on_commit(retried)
    return retried


def _video_retry_parameters(job: Job, seed: str) -> dict:
    """A video job runs again on the same inputs; `new` draws a new seed for a generated portrait."""
    if seed not in RetrySeed.values:
        raise SeidraError(_('The seed choice must be "same" or "new".'), status=400)
    if not video_inputs_complete(job.id, job.parameters):
        raise SeidraError(
            _("The inputs of this video job (its audio track or its character image) are no longer on the server: "
              "submit it again."),
            status=409,
        )  # fmt: skip
    parameters = dict(job.parameters)
    if seed == RetrySeed.NEW and parameters.get("portrait"):
        parameters["portrait"] = {**parameters["portrait"], "seed": None}
    return parameters


def _video_inputs_copy(job: Job, retried: Job) -> None:
    """The retry gets its own copy of the inputs: deleting either job then leaves the other's in place.
    A failed copy leaves no half directory, and the row goes with the transaction."""
    try:
        video_inputs_copy(job.id, retried.id, job.parameters)
    except BaseException:  # a disk or a bucket failing halfway
        video_inputs_delete(retried.id)
        raise


def job_delete(*, job: Job) -> None:
    """Remove the job from the list; its images and videos stay in the gallery, a video job's
    inputs (apps/jobs/video_inputs.py) go once the delete is committed."""
    if job.is_active:
        raise SeidraError(_("Cancel this job before deleting it."), status=409)
    job_id, kind = job.pk, job.kind
    job.delete()
    if kind == JobKind.VIDEO:
        transaction.on_commit(lambda: video_inputs_delete(job_id))


# --- Worker transitions (called from workers/jobs.py) ---------------------------------------------


def job_start(*, job_id: str, worker_name: str) -> Job | None:
    """QUEUED -> RUNNING for this worker, or None when the job is not waiting any more
    (cancelled, already taken, or finished: a duplicate queue entry then does nothing)."""
    taken = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, worker_name=worker_name, attempts=F("attempts") + 1, started=timezone.now(),
        stage="loading", step=0, progress=0.0, eta_seconds=None, error="",
    )  # fmt: skip
    if not taken:
        return None
    job = Job.objects.get(pk=job_id)
    metrics.job_started_observe(kind=job.kind, engine=job.engine, created=job.created, started=job.started)
    job_event_send(job, EVENT_STARTED)
    queue_changed_send()  # one job fewer waiting
    return job


def job_progress_save(*, job_id: str, worker_name: str, step: int, total: int, eta: float | None, stage: str) -> bool:
    """Store progress; False when this worker no longer owns the job (recovered elsewhere)."""
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, worker_name=worker_name).update(
            step=step, total_steps=total, progress=step / total if total else 0.0, eta_seconds=eta, stage=stage
        )
    )


def job_engine_details_save(*, job_id: str, worker_name: str, details: dict) -> bool:
    """Record what the engine did (Job.engine_details: e.g. the ComfyUI server and prompt id) while
    the job runs, so a resumed attempt follows it; False when this worker no longer owns the job."""
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, worker_name=worker_name).update(
            engine_details=details, updated=timezone.now()
        )
    )


def _finish(job: Job, *, status: str, error: str = "", stage: str = "") -> Job:
    job.status, job.error, job.stage, job.finished, job.eta_seconds = status, error, stage, timezone.now(), None
    if status == JobStatus.SUCCEEDED:
        job.progress, job.step = 1.0, job.total_steps
    job.save(update_fields=["status", "error", "stage", "finished", "eta_seconds", "progress", "step", "updated"])
    return job


def _finished_send(job: Job) -> None:
    # After the commit of the final status: a rolled-back finish is counted nowhere.
    metrics.job_finished_observe(
        kind=job.kind, engine=job.engine, status=job.status, started=job.started, finished=job.finished
    )
    job_event_send(job, EVENT_FINISHED)
    queue_changed_send()  # it left its worker or its place: the jobs behind it have one fewer ahead


def _owned_running(job_id: str, worker_name: str) -> Job | None:
    return (
        Job.objects.select_for_update()
        .filter(pk=job_id, status=JobStatus.RUNNING, worker_name=worker_name)
        .select_related("owner")
        .first()
    )


def job_succeed(*, job_id: str, worker_name: str, store_outputs) -> Job | None:
    """Store the outputs and mark SUCCEEDED in one transaction, only if this worker still owns the
    job: a job recovered onto another worker cannot be stored twice. `store_outputs(job)` writes the
    Media rows."""
    with transaction.atomic():
        job = _owned_running(job_id, worker_name)
        if job is None:
            return None
        store_outputs(job)
        _finish(job, status=JobStatus.SUCCEEDED, stage="done")
    # The events first: the notification's own push must not delay the final progress update.
    _finished_send(job)
    notification_create(
        user=job.owner, title=NOTIFY_SUCCEEDED[job.kind], body=job.parameters.get("prompt", "")[:200],
        level=NotificationLevel.SUCCESS, link=job_link(job),
    )  # fmt: skip
    return job


def job_fail(*, job_id: str, worker_name: str, error: str) -> Job | None:
    with transaction.atomic():
        job = _owned_running(job_id, worker_name)
        if job is None:
            return None
        _finish(job, status=JobStatus.FAILED, error=error, stage="failed")
    _finished_send(job)
    notification_create(
        user=job.owner, title=NOTIFY_FAILED, body=error[:500], level=NotificationLevel.ERROR, link=job_link(job)
    )
    return job


def job_cancelled(*, job_id: str, worker_name: str, step: int) -> Job | None:
    with transaction.atomic():
        job = _owned_running(job_id, worker_name)
        if job is None:
            return None
        job.step = step
        _finish(job, status=JobStatus.CANCELLED, stage="cancelled")
    queueing.cancel_flag_clear(job_id=job_id)
    _finished_send(job)
    return job


def job_link(job: Job) -> str:
    return reverse("jobs:detail", args=[job.id])


# --- Recovery ------------------------------------------------------------------------------------


def job_recover_lost(*, job: Job) -> str:
    """A RUNNING job whose worker is gone: queued again once, then FAILED "worker lost"."""
    with transaction.atomic():
        if job.attempts < settings.SEIDRA_MAX_ATTEMPTS:
            changed = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker_name=job.worker_name).update(
                status=JobStatus.QUEUED, worker_name="", stage="requeued", step=0, progress=0.0, eta_seconds=None
            )
            if changed:
                job.refresh_from_db()  # the event must say QUEUED, not the RUNNING the caller read
                transaction.on_commit(lambda: job_enqueue(job))
                return "requeued"
            return "unchanged"
    failed = job_fail(job_id=str(job.pk), worker_name=job.worker_name, error=WORKER_LOST)
    return "failed" if failed else "unchanged"


def job_requeue_missing(*, job: Job) -> bool:
    """A QUEUED job whose queue entry was lost (Redis restarted empty): push it again."""
    if not Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).exists():
        return False
    job_enqueue(job)
    return True
