"""The ComfyUI engine against a real ComfyUI server (the session's `comfyui_server`, skipped with a
message when SEIDRA_TEST_COMFYUI_DIR is unset).

Each real prompt costs about a minute on a 2-core CPU, so one finished job is shared by the
assertions about its outputs, its progress, the pool's choice and a resume from history. Every job
gets a seed of its own: ComfyUI serves an identical prompt from its cache without running it.
"""

import random
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest

from apps.catalog.comfyui_client import ComfyClient
from apps.catalog.comfyui_workflow import txt2img_workflow
from apps.catalog.limits import MAX_SEED
from apps.catalog.request import ENGINE_COMFYUI, ImageRequest, ModelLocation
from tests.support.redis_server import free_port
from workers.engines.base import EngineJob
from workers.engines.comfyui.engine import ComfyEngine, client_id_for
from workers.engines.errors import EngineError, GenerationCancelled

DEAD_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there


@dataclass
class HookRecorder:
    """The job's progress hook: what a user would see (steps, previews), and a cancel at a chosen step."""

    cancel_at: int | None = None
    steps: list[tuple[int, int]] = field(default_factory=list)
    previews: list = field(default_factory=list)

    def __call__(self, progress) -> None:
        self.steps.append((progress.step, progress.total))
        preview = progress.preview()
        if preview is not None:
            self.previews.append(preview)
        if self.cancel_at is not None and progress.step >= self.cancel_at:
            progress.cancel()


def fresh_seed() -> int:
    return random.randint(0, MAX_SEED)


def tiny_request(checkpoint: str, *, prompt: str, steps: int) -> ImageRequest:
    return ImageRequest(prompt=prompt, model=checkpoint, width=64, height=64, steps=steps, seed=fresh_seed())


def engine_job(server, *, servers=None, model=None, steps=2, prompt="a red fox in the snow", **changes) -> EngineJob:
    model = model or server.checkpoint
    return EngineJob(
        job_id=str(uuid.uuid4()),
        request=tiny_request(model, steps=steps, prompt=prompt),
        location=ModelLocation(name=model, engine=ENGINE_COMFYUI, servers=tuple(servers or (server.url,))),
        **changes,
    )


def queue_is_empty(server) -> bool:
    return ComfyClient(server.url).queue().length == 0


@pytest.fixture(scope="module")
def finished(comfyui_server):
    """One real job, sent to a pool whose first server is dead."""
    hook, saved = HookRecorder(), []
    job = engine_job(comfyui_server, servers=(DEAD_URL, comfyui_server.url), hook=hook, save_details=saved.append)
    return SimpleNamespace(job=job, result=ComfyEngine().run(job), hook=hook, saved=saved)


def test_a_job_returns_its_image_with_its_seed_and_where_it_ran(finished, comfyui_server):
    result, job = finished.result, finished.job
    assert len(result.images) == 1 and result.images[0].size == (64, 64) and result.images[0].mode == "RGB"
    assert result.seeds == [job.request.seed]
    assert result.parameters["engine"] == "comfyui" and result.parameters["prompt"] == job.request.prompt
    # With the first server of the pool dead, the live one took the job.
    assert result.parameters["server"] == result.details["server"] == comfyui_server.url
    assert result.details["prompt_id"] == job.job_id
    assert result.details["workflow"]["checkpoint"]["inputs"]["ckpt_name"] == comfyui_server.checkpoint
    # Saved once, before the prompt was sent: what a resumed job needs.
    assert finished.saved == [result.details]
    assert queue_is_empty(comfyui_server)


def test_progress_steps_and_a_preview_reach_the_hook(finished):
    assert finished.hook.steps == [(1, 2), (2, 2)]
    assert finished.hook.previews, "no preview frame: is the server started with --preview-method latent2rgb?"
    assert finished.hook.previews[-1].mode == "RGB"


def test_a_resumed_job_already_in_history_returns_its_images_without_sending_again(finished, comfyui_server):
    client = ComfyClient(comfyui_server.url)
    number = client.history(finished.job.job_id)["prompt"][0]  # ComfyUI numbers each POST /prompt

    def must_not_send(details):
        raise AssertionError("the resumed job prepared a second POST /prompt")

    again = EngineJob(
        job_id=finished.job.job_id,
        request=finished.job.request,
        location=finished.job.location,
        details=finished.saved[0],
        save_details=must_not_send,
    )
    result = ComfyEngine().run(again)
    assert np.array_equal(np.asarray(result.images[0]), np.asarray(finished.result.images[0]))
    assert result.seeds == finished.result.seeds
    assert client.history(finished.job.job_id)["prompt"][0] == number


def test_a_resumed_job_still_running_is_followed_to_its_images(comfyui_server):
    # A previous attempt sent the prompt, then its worker was lost: the prompt runs on without it.
    # A prompt text of its own: encoding it (no cache) keeps the prompt running while the job resumes.
    job = engine_job(comfyui_server, hook=HookRecorder(), steps=1, prompt=f"a lighthouse, {uuid.uuid4()}")
    workflow = txt2img_workflow(
        job.request, checkpoint=comfyui_server.checkpoint, seed=job.request.seed, filename_prefix="seidra/resume"
    )
    client = ComfyClient(comfyui_server.url)
    client.prompt_submit(workflow=workflow, prompt_id=job.job_id, client_id=client_id_for(job.job_id))
    job.details = {
        "server": comfyui_server.url,
        "prompt_id": job.job_id,
        "workflow": workflow,
        "seed": job.request.seed,
    }
    job.save_details = lambda details: pytest.fail("the resumed job prepared a second POST /prompt")

    result = ComfyEngine().run(job)
    assert result.images[0].size == (64, 64) and result.seeds == [job.request.seed]
    assert job.hook.steps[-1] == (1, 1)  # it heard the prompt's progress on the same client id
    assert client.history(job.job_id)["status"]["completed"] is True


def test_cancel_at_a_step_interrupts_the_prompt_and_leaves_the_queue_empty(comfyui_server):
    job = engine_job(comfyui_server, hook=HookRecorder(cancel_at=1))
    with pytest.raises(GenerationCancelled) as cancelled:
        ComfyEngine().run(job)
    assert cancelled.value.step >= 1
    assert queue_is_empty(comfyui_server)
    assert ComfyClient(comfyui_server.url).history(job.job_id)["status"]["status_str"] == "error"  # not finished


def test_cancel_asked_between_messages_stops_the_running_prompt(comfyui_server):
    # The job's cancel flag is read between messages too (loading and text encoding send none),
    # not only at steps: here it is raised as soon as the server runs the prompt.
    client = ComfyClient(comfyui_server.url)
    job = engine_job(comfyui_server, hook=HookRecorder(), steps=1)
    job.cancel_requested = lambda: job.job_id in client.queue().running
    with pytest.raises(GenerationCancelled):
        ComfyEngine().run(job)
    assert queue_is_empty(comfyui_server)


def test_an_unknown_checkpoint_fails_naming_the_node_and_the_name(comfyui_server):
    job = engine_job(comfyui_server, model="no-such-model.safetensors")
    with pytest.raises(EngineError, match=r"CheckpointLoaderSimple.*no-such-model\.safetensors"):
        ComfyEngine().run(job)
    assert queue_is_empty(comfyui_server)


def test_an_unreachable_server_fails_naming_its_url(comfyui_server):
    job = engine_job(comfyui_server, servers=(DEAD_URL,))
    with pytest.raises(EngineError, match=f"{DEAD_URL} is unreachable"):
        ComfyEngine().run(job)


def test_a_template_runs_as_saved_with_its_mapped_inputs_set_and_returns_what_its_saveimage_writes(comfyui_server):
    # A template that needs no model (so it costs no denoising): two solid images, size from the request.
    template = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 2, "color": 0}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "seidra/template"}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},  # a temp file: not an output
    }
    inputs = {"width": {"node": "1", "input": "width"}, "height": {"node": "1", "input": "height"}}
    job = engine_job(comfyui_server, model="Two squares")
    job.location = ModelLocation(
        name="Two squares",
        engine=ENGINE_COMFYUI,
        servers=(comfyui_server.url,),
        workflow=template,
        workflow_inputs=inputs,
    )
    result = ComfyEngine().run(job)
    assert [image.size for image in result.images] == [(64, 64), (64, 64)]
    assert result.seeds == [job.request.seed] * 2 and result.parameters["template"] == "Two squares"
    assert result.details["workflow"]["1"]["inputs"]["width"] == 64 and template["1"]["inputs"]["width"] == 512


def test_a_server_that_dies_during_the_job_fails_it_naming_the_url(comfyui_server, settings):
    # Last in this module: it restarts the session's server (the next prompt loads the model again).
    settings.SEIDRA_COMFYUI_SILENCE_SECONDS = 5  # how long an unanswering server is waited for

    def stop_at_first_step(progress):
        comfyui_server.stop()

    job = engine_job(comfyui_server, hook=stop_at_first_step)
    try:
        with pytest.raises(EngineError, match=f"{comfyui_server.url} is unreachable"):
            ComfyEngine().run(job)
    finally:
        comfyui_server.start()
