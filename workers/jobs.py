"""RQ job functions, enqueued by dotted path with the Job id only (the row holds the parameters).

Thin and idempotent: a duplicate queue entry, or a job cancelled or recovered elsewhere, finds the
row not QUEUED (or not owned by this worker any more) and does nothing.
"""

import logging
import os
import socket

from django.conf import settings
from rq import get_current_job

from apps.gallery.services import media_store_image
from apps.jobs.models import Job
from apps.jobs.queueing import redis_connection
from apps.jobs.services import job_cancelled, job_fail, job_start, job_succeed

from .engines.resident import engine_cache, engine_runtime
from .nsfw.detector import nsfw_verdict
from .progress import ProgressReporter

logger = logging.getLogger(__name__)


def current_worker_name() -> str:
    rq_job = get_current_job()
    if rq_job is not None and rq_job.worker_name:
        return rq_job.worker_name
    return f"inline.{socket.gethostname()}.{os.getpid()}"  # called directly (tests, shell)


def image_job_run(job_id: str) -> str:
    worker_name = current_worker_name()

    # 1. Take the job: QUEUED -> RUNNING for this worker, or nothing to do.
    job = job_start(job_id=job_id, worker_name=worker_name)
    if job is None:
        return "skipped"
    reporter = ProgressReporter(job=job, worker_name=worker_name, connection=redis_connection())
    try:
        return _image_job_generate(job, worker_name, reporter)
    finally:
        reporter.close()


def _image_job_generate(job: Job, worker_name: str, reporter: ProgressReporter) -> str:
    # Torch and diffusers load here, in the worker, never in the web process.
    from .engines.sdxl.errors import EngineError, GenerationCancelled
    from .engines.sdxl.generate import GenerationRequest, generate
    from .engines.sdxl.models_dir import lora_spec, model_source

    job_id = str(job.pk)
    if reporter.cancel_requested():
        job_cancelled(job_id=job_id, worker_name=worker_name, step=0)
        return "cancelled"

    # 2. Generate with the resident pipeline; each step reports progress and checks for cancel.
    parameters = job.parameters
    models_dir = settings.SEIDRA_MODELS_DIR
    try:
        request = GenerationRequest(
            prompt=parameters["prompt"],
            negative_prompt=parameters.get("negative_prompt", ""),
            width=parameters["width"],
            height=parameters["height"],
            steps=parameters["steps"],
            guidance=parameters["guidance"],
            seed=parameters.get("seed"),
            scheduler=parameters["scheduler"],
            batch_size=parameters["batch_size"],
            loras=tuple(lora_spec(models_dir, lora["name"], lora["weight"]) for lora in parameters.get("loras", [])),
        )
        result = generate(
            request,
            source=model_source(models_dir, parameters["model"]),
            cache=engine_cache(),
            runtime=engine_runtime(),
            hook=reporter,
        )
    except GenerationCancelled as cancelled:
        job_cancelled(job_id=job_id, worker_name=worker_name, step=cancelled.step)
        return "cancelled"
    except EngineError as error:
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

    # 4. Store the images (PNG with their parameters) and finish, once, if this worker still owns the job.
    def store_outputs(owned: Job) -> None:
        for index, image in enumerate(result.images):
            image_parameters = {**result.parameters, "seed": result.seeds[index], "job": str(owned.pk)}
            if parameters.get("persona"):  # {"id", "name"}: the prompt above is already the composed one
                image_parameters["persona"] = parameters["persona"]
            media_store_image(job=owned, index=index, image=image, parameters=image_parameters, nsfw=verdicts[index])

    finished = job_succeed(job_id=job_id, worker_name=worker_name, store_outputs=store_outputs)
    if finished is None:
        logger.warning("job %s finished here but was taken over meanwhile; outputs not stored", job_id)
        return "lost"
    return "succeeded"


def video_job_run(job_id: str) -> str:
    job = job_start(job_id=job_id, worker_name=current_worker_name())
    if job is not None:
        job_fail(
            job_id=job_id, worker_name=job.worker_name, error="Video generation is not available on this server yet."
        )
    return "failed"
