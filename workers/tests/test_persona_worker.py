"""A job with a persona through a real worker process (`manage.py rqworker gpu`) on the tiny model:
the job, its image's PNG metadata and its gallery row show the composed prompt and the persona,
and deleting the persona leaves the image with the persona's name."""

import time

import pytest

from apps.gallery.models import Media
from apps.gallery.png_metadata import png_parameters_read
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_create
from apps.personas.composition import NSFW_AVOIDING_NEGATIVE
from apps.personas.services import persona_create, persona_delete

PASSWORD = "a-long-test-passphrase"

# Starting a worker (torch import) and running a job can take minutes on a loaded two-core machine.
SLOW_MACHINE_TIMEOUT = 900


def wait_for_status(job: Job, worker, *, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_final:
            return job.status
        time.sleep(0.1)
    raise AssertionError(f"job still {job.status}; worker log:\n{worker.output()}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_persona_job_records_the_composed_prompt_in_the_job_the_png_and_the_gallery(
    tiny_model, user_factory, worker_process
):
    worker = worker_process("w1").wait_listening()
    alice = user_factory("alice", PASSWORD)
    mira = persona_create(
        owner=alice,
        data={"name": "Mira", "prompt_template": "portrait of Mira, {prompt}", "negative_prompt": "blurry",
              "model": tiny_model, "seed": 77, "width": 32, "height": 32, "steps": 2},
    )  # fmt: skip
    job = job_create(
        owner=alice, parameters={"prompt": "in the rain", "negative_prompt": "text", "persona": str(mira.id)}
    )
    assert wait_for_status(job, worker) == JobStatus.SUCCEEDED, job.error

    composed, negative = "portrait of Mira, in the rain", f"blurry, text, {NSFW_AVOIDING_NEGATIVE}"
    assert (job.parameters["prompt"], job.parameters["negative_prompt"]) == (composed, negative)
    assert job.parameters["persona"] == {"id": str(mira.id), "name": "Mira"}
    [media] = Media.objects.filter(job=job)
    assert (media.persona_id, media.persona_name, media.width) == (mira.id, "Mira", 32)
    with media.file.open("rb") as handle:
        stored = png_parameters_read(handle.read())
    assert stored["parameters"].startswith(f"{composed}\nNegative prompt: {negative}\n")
    assert "Seed: 77" in stored["parameters"]
    assert stored["seidra"]["prompt"] == composed and stored["seidra"]["persona"] == job.parameters["persona"]

    persona_delete(persona=mira)
    media.refresh_from_db()
    assert media.persona_name == "Mira"  # the gallery keeps the name of a deleted persona
