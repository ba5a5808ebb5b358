"""ComfyUI jobs as a user sees them: submitted through the API, run by a real `manage.py rqworker
comfyui` on the session's real ComfyUI server, followed on /ws/jobs/, stored as Media.

Each generation costs tens of seconds on these machines: tiny prompts (64x72 on the demo-named
test checkpoint, one or two steps, a new seed each time, since ComfyUI serves an identical
prompt from its cache), and one job serves several assertions where they are about the same run."""

import io

import numpy as np
import pytest
from PIL import Image

from apps.catalog.comfyui_client import ComfyClient
from apps.catalog.limits import SIZE_STEP
from apps.gallery.models import Media
from apps.gallery.png_metadata import png_parameters_read
from apps.jobs.models import Job, JobStatus
from tests.support.auth import api_client_for
from tests.support.live_socket import LiveSocket

from .conftest import JOB_TIMEOUT_S, comfyui_model_row_copy, dead_url, fresh_seed, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# Tiny images: the test checkpoint is a `seidra-tiny*` demo model, whose bounds allow them (one
# side a step longer so a swapped width and height would show).
SIDE = 64
WIDTH, HEIGHT = SIDE + SIZE_STEP, SIDE
TINY = {"prompt": "a lighthouse at dusk", "negative_prompt": "fog", "width": WIDTH, "height": HEIGHT, "steps": 2}


def submit(user, **parameters) -> str:
    response = api_client_for(user).post("/api/generation/image", parameters, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def finished(job_id: str) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED) else None


def running_with_progress(job_id: str) -> bool:
    job = Job.objects.get(pk=job_id)
    return job.status == JobStatus.RUNNING and job.step >= 1


def stored_png(job: Job) -> bytes:
    [media] = Media.objects.filter(job=job)
    with media.file.open("rb") as handle:
        return handle.read()


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_a_job_goes_to_the_live_server_streams_progress_and_previews_and_stores_a_png_with_metadata(
    comfyui_catalog, comfyui_worker, asgi_server, user_factory
):
    """Two servers configured, the first one down: the job runs on the live one. Then the same
    seed with the test LoRA gives other pixels (ComfyUI applied it)."""
    from apps.catalog.models import InstalledModel

    server, down = comfyui_catalog, dead_url()
    worker = comfyui_worker([down, server.url])
    # The down server had the checkpoint when the catalog last heard from it.
    InstalledModel.objects.filter(name=server.checkpoint).update(servers=[down, server.url])
    user = user_factory()
    socket = LiveSocket(asgi_server, "/ws/jobs/", user)
    socket.next_snapshot(timeout=30)
    seed = fresh_seed()

    job_id = submit(user, **TINY, model=server.checkpoint, seed=seed)
    events = socket.job_events_until_final(job_id, timeout=JOB_TIMEOUT_S)

    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED, f"{job.error}\nworker log:\n{worker.output()}"
    assert (job.engine, job.engine_details["server"], job.engine_details["prompt_id"]) == (
        "comfyui",
        server.url,
        job_id,
    )
    assert ComfyClient(server.url).history(job_id), "the live server ran the prompt SEIDRA named after the job"
    progress = [event["job"] for event in events if event["type"] == "job.progress"]
    assert progress and {(event["step"], event["total"]) for event in progress} >= {(2, 2)}
    previews = [event["preview"] for event in progress if "preview" in event]
    assert previews and previews[0].startswith("data:image/jpeg;base64,")
    final = events[-1]["job"]
    assert final["status"] == JobStatus.SUCCEEDED
    [output] = final["outputs"]
    assert (output["width"], output["height"], output["seed"]) == (WIDTH, HEIGHT, seed)

    plain = stored_png(job)
    assert Image.open(io.BytesIO(plain)).size == (WIDTH, HEIGHT)
    metadata = png_parameters_read(plain)
    assert metadata["parameters"].startswith("a lighthouse at dusk\n")
    assert (metadata["seidra"]["job"], metadata["seidra"]["seed"]) == (job_id, seed)
    assert server.checkpoint.removesuffix(".safetensors") in metadata["parameters"]

    lora_job_id = submit(user, **TINY, model=server.checkpoint, seed=seed, loras=[{"name": server.lora, "weight": 1}])
    lora_job = wait_for(lambda: finished(lora_job_id), what="the LoRA job", worker=worker, server=server)
    assert lora_job.status == JobStatus.SUCCEEDED, lora_job.error
    assert png_parameters_read(stored_png(lora_job))["seidra"]["seed"] == seed
    difference = np.abs(pixels(stored_png(lora_job)) - pixels(plain)).mean()
    assert difference > 1, f"the LoRA changed nothing (mean pixel difference {difference:.2f})"
    socket.close()


def test_cancelling_a_running_job_stops_it_on_the_server(comfyui_catalog, comfyui_worker, user_factory):
    server = comfyui_catalog
    worker = comfyui_worker([server.url])
    user = user_factory()
    # Enough steps to still be sampling when the cancel arrives.
    job_id = submit(user, **{**TINY, "steps": 30}, model=server.checkpoint, seed=fresh_seed())
    wait_for(lambda: running_with_progress(job_id), what="the job to run", worker=worker, server=server)

    response = api_client_for(user).post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 200, response.content

    job = wait_for(lambda: finished(job_id), what="the job to end", worker=worker, server=server)
    assert job.status == JobStatus.CANCELLED, job.error
    assert not Media.objects.filter(job=job).exists()
    queue = ComfyClient(server.url).queue()
    assert queue.length == 0, f"still on the server: {queue}"


def test_a_checkpoint_the_server_no_longer_has_fails_the_job_naming_it(comfyui_catalog, comfyui_worker, user_factory):
    server = comfyui_catalog
    worker = comfyui_worker([server.url])
    # The catalog still lists a checkpoint someone deleted from the server since the last refresh.
    comfyui_model_row_copy(server.checkpoint, name="seidra-deleted-sdxl.safetensors", servers=[server.url])
    user = user_factory()

    job_id = submit(user, **TINY, model="seidra-deleted-sdxl.safetensors", seed=fresh_seed())

    job = wait_for(lambda: finished(job_id), what="the job to end", worker=worker, server=server)
    assert job.status == JobStatus.FAILED
    assert "seidra-deleted-sdxl.safetensors" in job.error


def test_a_staff_workflow_template_runs_with_the_users_prompt(comfyui_catalog, comfyui_worker, user_factory):
    from apps.catalog.models import WorkflowTemplate

    server = comfyui_catalog
    worker = comfyui_worker([server.url])
    staff = user_factory("staff", is_staff=True)
    WorkflowTemplate.objects.create(
        name="seidra-test-template",
        description="txt2img at a fixed CFG, written in ComfyUI",
        workflow=template_workflow(server.checkpoint),
        inputs={
            "prompt": {"node": "6", "input": "text"},
            "seed": {"node": "3", "input": "seed"},
            "steps": {"node": "3", "input": "steps"},
        },
        enabled=True,
        created_by=staff,
    )
    user = user_factory()
    seed = fresh_seed()

    job_id = submit(
        user,
        prompt="a template lighthouse",
        model="seidra-test-template",
        steps=1,
        seed=seed,
    )

    job = wait_for(lambda: finished(job_id), what="the template job", worker=worker, server=server)
    assert job.status == JobStatus.SUCCEEDED, job.error
    sent = job.engine_details["workflow"]
    assert (sent["6"]["inputs"]["text"], sent["3"]["inputs"]["seed"]) == ("a template lighthouse", seed)
    assert sent["7"]["inputs"]["text"] == "blurry", "what the template fixes stays"
    assert Image.open(io.BytesIO(stored_png(job))).size == (SIDE, SIDE), "the template's own size"


def test_a_server_that_dies_fails_its_job_naming_it_and_nothing_stays_running(
    comfyui_catalog, comfyui_worker, user_factory
):
    from apps.jobs.recovery import jobs_reconcile

    server = comfyui_catalog
    worker = comfyui_worker([server.url])
    user = user_factory()
    job_id = submit(user, **{**TINY, "steps": 30}, model=server.checkpoint, seed=fresh_seed())
    wait_for(lambda: running_with_progress(job_id), what="the job to run", worker=worker, server=server)

    server.stop()
    try:
        job = wait_for(lambda: finished(job_id), what="the job to end", worker=worker)
        assert job.status == JobStatus.FAILED
        assert server.url in job.error
        jobs_reconcile()
        assert not Job.objects.filter(status=JobStatus.RUNNING).exists()
    finally:
        server.start()  # the session's other tests use it


def template_workflow(checkpoint: str) -> dict:
    """ComfyUI's default txt2img graph as "Save (API)" writes it, with node ids as ComfyUI numbers them."""
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": checkpoint}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": SIDE, "height": SIDE, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 0,
                "steps": 20,
                "cfg": 6.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },  # fmt: skip
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "template", "images": ["8", 0]}},
    }
