"""The one request model end to end: what the validator returns is what the job row stores, what
the worker unpacks and runs, and what the image's PNG metadata carries (tiny model, real worker
class in this process)."""

from dataclasses import fields

import pytest

from apps.catalog.request import ENGINE_LOCAL, ImageRequest, LoraChoice
from apps.gallery.models import Media
from apps.gallery.png_metadata import png_parameters_read
from apps.jobs.models import JobStatus
from apps.jobs.parameters import job_parameters_clean
from apps.jobs.services import job_create
from tests.support.workers import burst_worker_run

ASKED = {
    "prompt": "  a lighthouse at dusk ",
    "negative_prompt": "fog",
    "loras": [{"name": "seidra-tiny-lora", "weight": 0.5}],
    "width": 48,
    "height": 40,
    "steps": 2,
    "guidance": 6.5,
    "scheduler": "DPM++ 2M Karras",  # a label: the request holds the key
    "seed": 4242,
    "batch_size": 2,
}


@pytest.mark.django_db(transaction=True)
def test_the_request_round_trips_from_the_validator_through_the_row_and_the_worker_into_the_png(
    tiny_model, user_factory
):
    user = user_factory()
    request = job_parameters_clean(owner=user, data=ASKED)
    assert request == ImageRequest(
        prompt="a lighthouse at dusk", model=tiny_model, width=48, height=40, steps=2, negative_prompt="fog",
        loras=(LoraChoice("seidra-tiny-lora", 0.5),), guidance=6.5, scheduler="dpmpp_2m_karras", seed=4242,
        batch_size=2,
    )  # fmt: skip

    job = job_create(owner=user, parameters=ASKED)
    job.refresh_from_db()
    assert job.parameters == request.to_json() and job.engine == ENGINE_LOCAL
    assert ImageRequest.from_json(job.parameters) == request  # what the worker unpacks

    burst_worker_run()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    media = list(Media.objects.filter(job=job).order_by("index"))
    assert [(item.width, item.height) for item in media] == [(48, 40), (48, 40)]
    for index, item in enumerate(media):
        with item.file.open("rb") as handle:
            stored = png_parameters_read(handle.read())
        seidra = stored["seidra"]
        # Every field of the request is in the image, as the row holds it, except what the engine
        # reports over it: the sampler's label and each image's own seed.
        for name in {item.name for item in fields(ImageRequest)} - {"persona", "scheduler", "seed"}:
            assert seidra[name] == job.parameters[name], name
        assert seidra["scheduler"] == "DPM++ 2M Karras" and seidra["seed"] == 4242 + index
        assert seidra["job"] == str(job.pk) and seidra["device"] == "cpu"
        assert item.parameters == seidra
        assert stored["parameters"].startswith(
            "a lighthouse at dusk <lora:seidra-tiny-lora:0.5>\nNegative prompt: fog\n"
        )
        assert f"Seed: {4242 + index}" in stored["parameters"] and "Size: 48x40" in stored["parameters"]
