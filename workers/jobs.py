"""RQ job functions, enqueued by dotted path with the Job id only (the row holds the parameters).

Thin and idempotent: a duplicate queue entry, or a job cancelled or recovered elsewhere, finds the
row not QUEUED (or not owned by this worker any more) and does nothing.
"""

import logging
import os
import socket
from collections.abc import Callable

from rq import get_current_job

from apps.catalog.request import ImageRequest
from apps.catalog.selectors import model_locate
from apps.core.errors import SeidraError
from apps.core.trace_context import job_run_context
from apps.gallery.png_metadata import image_metadata
from apps.gallery.services import media_store_image
from apps.jobs.models import Job
from apps.jobs.queueing import redis_connection
from apps.jobs.services import job_cancelled, job_engine_details_save, job_fail, job_start, job_succeed

from .nsfw.detector import nsfw_verdict
from .progress import ProgressReporter

logger = logging.getLogger(__name__)


def current_worker_name() -> str:
    rq_job = get_current_job()
    if rq_job is not None and rq_job.worker_name:
        return rq_job.worker_name
    return f"inline.{socket.gethostname()}.{os.getpid()}"  # called directly (tests, shell)


def _job_take_and_run(job_id: str, kind: str, generate: Callable[[Job, str, ProgressReporter], str]) -> str:
    # Every line logged while the job runs carries its id (and the submitting request's id), and
    # its span continues the trace of that request (the RQ job's meta, set by job_enqueue).
    rq_job = get_current_job()
    with job_run_context(job_id=job_id, kind=kind, meta=rq_job.meta if rq_job is not None else None):
        logger.info("%s job %s: picked up", kind, job_id)
        outcome = _job_run(job_id, generate)
        logger.info("%s job %s: %s", kind, job_id, outcome)
        return outcome


def _job_run(job_id: str, generate: Callable[[Job, str, ProgressReporter], str]) -> str:
    worker_name = current_worker_name()

    # 1. Take the job: QUEUED -> RUNNING for this worker, or nothing to do.
    job = job_start(job_id=job_id, worker_name=worker_name)
    if job is None:
        return "skipped"
    reporter = ProgressReporter(job=job, worker_name=worker_name, connection=redis_connection())
    try:
        return generate(job, worker_name, reporter)
    finally:
        reporter.close()


def image_job_run(job_id: str) -> str:
    return _job_take_and_run(job_id, "image", _image_job_generate)


def _image_job_generate(job: Job, worker_name: str, reporter: ProgressReporter) -> str:
    # The engine's heavy imports (torch and diffusers for the local one) happen in engine_for, in
    # the worker, never in the web process; a `comfyui` worker never imports torch.
    from .engines.base import EngineJob, engine_for
    from .engines.errors import EngineError, GenerationCancelled

    job_id = str(job.pk)
    if reporter.cancel_requested():
        job_cancelled(job_id=job_id, worker_name=worker_name, step=0)
        return "cancelled"

    # 2. Ask the catalog where the model lives and which engine runs it, then run that engine; each
    #    step reports progress and checks for cancel.
    def save_details(details: dict) -> None:
        job_engine_details_save(job_id=job_id, worker_name=worker_name, details=details)

    try:
        request = ImageRequest.from_json(job.parameters)
        location = model_locate(request.model)
        result = engine_for(location.engine).run(
            EngineJob(
                job_id=job_id,
                request=request,
                location=location,
                hook=reporter,
                cancel_requested=reporter.cancel_requested,
                details=job.engine_details or {},
                save_details=save_details,
            )
        )
    except GenerationCancelled as cancelled:
        job_cancelled(job_id=job_id, worker_name=worker_name, step=cancelled.step)
        return "cancelled"
    except (EngineError, SeidraError) as error:  # SeidraError: the model left the catalog since submit
        job_fail(job_id=job_id, worker_name=worker_name, error=error.message)
        return "failed"
    except Exception as error:
        logger.exception("job %s failed unexpectedly", job_id)
        job_fail(
            job_id=job_id,
            worker_name=worker_name,
            error=f"Internal error in the worker ({type(error).__name__}: {error}). The worker log has the details.",
        )
        raise

    # 3. Score each image for NSFW content (None: detector off or failed), before the storing transaction.
    verdicts = [nsfw_verdict(image) for image in result.images]

    # 4. Store the images (PNG with the request and the engine's facts) and what the engine recorded,
    #    and finish, once, if this worker still owns the job.
    def store_outputs(owned: Job) -> None:
        for index, image in enumerate(result.images):
            # EngineResult.parameters already holds the request's JSON, with the engine's facts over it.
            parameters = image_metadata(parameters=result.parameters, seed=result.seeds[index], job_id=job_id)
            media_store_image(job=owned, index=index, image=image, parameters=parameters, nsfw=verdicts[index])
        if result.details:
            owned.engine_details = result.details
            owned.save(update_fields=["engine_details", "updated"])

    finished = job_succeed(job_id=job_id, worker_name=worker_name, store_outputs=store_outputs)
    if finished is None:
        logger.warning("job %s finished here but was taken over meanwhile; outputs not stored", job_id)
        return "lost"
    return "succeeded"


def video_job_run(job_id: str) -> str:
    """A talking-character video job: the steps are in workers/video/job.py."""
    from .video.job import video_job_generate  # cv2, onnxruntime and pocketsphinx load in the worker only

    return _job_take_and_run(job_id, "video", video_job_generate)
