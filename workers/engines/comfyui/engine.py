"""The `comfyui` engine: one job, one prompt on one ComfyUI server of the pool.

1. The workflow: the txt2img graph (one chain per image, seeds seed, seed+1, ...) or a staff
   template filled with the request's values (apps/catalog/comfyui_workflow.py).
2. The server: the healthy one with the shortest queue among those that list the model (pool.py).
3. Never sent twice: the prompt id is the job id, and the server, the prompt id and the workflow are
   saved on the job row BEFORE `POST /prompt`. A job run again after its worker was lost finds them
   and asks that server first: still queued or running -> follow it; in its history -> collect the
   images; no trace -> submit the same workflow again under the same id.
4. Follow it over the websocket (follow.py), then fetch the SaveImage outputs in chain order.
"""

import io
import random
import time
from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from apps.catalog.comfyui_client import ComfyClient, ComfyError, ComfyUnreachable
from apps.catalog.comfyui_workflow import (
    image_seeds,
    sampler_nodes,
    save_nodes,
    template_apply,
    template_values,
    txt2img_workflow,
)
from apps.catalog.limits import MAX_SEED
from apps.catalog.request import ENGINE_COMFYUI
from workers.engines.base import EngineJob, EngineResult
from workers.engines.errors import EngineError, GenerationCancelled

from .follow import PromptFollower
from .pool import server_pool

# ComfyUI's SaveImage writes under its output folder; one subfolder keeps SEIDRA's files together.
OUTPUT_PREFIX = "seidra/{job_id}"


@dataclass(frozen=True)
class Plan:
    """What is sent: kept on the job row, so a resumed job sends exactly this again."""

    workflow: dict
    seed: int
    is_template: bool

    def seeds(self, count: int) -> list[int]:
        # A template's images come from its own graph: every one is known by the seed it was given.
        return [self.seed] * count if self.is_template else image_seeds(self.seed, count)


def client_id_for(job_id: str) -> str:
    # Fixed per job: a resumed job's new connection receives the messages of the prompt sent before.
    return f"seidra-{job_id}"


class ComfyEngine:
    name = ENGINE_COMFYUI

    def run(self, job: EngineJob) -> EngineResult:
        started = time.monotonic()
        timeout = settings.SEIDRA_COMFYUI_HTTP_TIMEOUT
        previous = job.details if job.details.get("server") and job.details.get("prompt_id") else None
        plan = self._plan(job, previous)
        if previous is not None:
            client = ComfyClient(previous["server"], timeout=timeout)
        else:
            pool = server_pool(timeout=timeout, retry_seconds=settings.SEIDRA_COMFYUI_RETRY_SECONDS)
            client = pool.choose(job.location.servers, model=job.location.name).client
        details = {
            "server": client.base_url,
            "prompt_id": previous["prompt_id"] if previous else str(job.job_id),
            "workflow": plan.workflow,
            "seed": plan.seed,
        }
        follower = PromptFollower(
            client,
            prompt_id=details["prompt_id"],
            client_id=client_id_for(job.job_id),
            samplers=sampler_nodes(plan.workflow),
            silence_seconds=settings.SEIDRA_COMFYUI_SILENCE_SECONDS,
            hook=job.hook,
            cancel_requested=job.cancel_requested,
        )
        follower.open()  # before the prompt exists: no message of it can be missed
        try:
            where, entry = follower.locate() if previous else ("absent", None)
            if where == "absent":
                entry = self._submit(job, client, details, follower)
            entry = follower.follow() if entry is None else follower.finished(entry)
            images = self._outputs(client, entry, plan.workflow)
        finally:
            follower.close()
        seeds = plan.seeds(len(images))
        parameters = job.request.to_json() | {
            "seed": plan.seed,
            "seeds": seeds,
            "engine": ENGINE_COMFYUI,
            "server": client.base_url,
        }
        if plan.is_template:
            parameters["template"] = job.location.name
        return EngineResult(
            images=images,
            seeds=seeds,
            parameters=parameters,
            details=details,
            seconds=time.monotonic() - started,
        )

    def _plan(self, job: EngineJob, previous: dict | None) -> Plan:
        location = job.location
        is_template = location.workflow is not None
        if previous is not None and previous.get("workflow"):
            return Plan(workflow=previous["workflow"], seed=int(previous.get("seed", 0)), is_template=is_template)
        request = job.request
        seed = request.seed if request.seed is not None else random.randint(0, MAX_SEED)
        if is_template:
            workflow = template_apply(
                location.workflow, location.workflow_inputs or {}, template_values(request, seed=seed)
            )
        else:
            try:
                workflow = txt2img_workflow(
                    request,
                    checkpoint=location.name,
                    seed=seed,
                    filename_prefix=OUTPUT_PREFIX.format(job_id=job.job_id),
                )
            except ValueError as error:  # an unknown scheduler: the validator lets none through
                raise EngineError(str(error)) from error
        return Plan(workflow=workflow, seed=seed, is_template=is_template)

    def _submit(self, job: EngineJob, client: ComfyClient, details: dict, follower: PromptFollower) -> dict | None:
        """POST /prompt; None once queued, or the history entry when an unanswered POST turns out to
        have been run already."""
        if job.cancel_requested():
            raise GenerationCancelled(0)
        job.save_details(details)  # before the POST: a lost worker's successor finds the prompt
        try:
            client.prompt_submit(
                workflow=details["workflow"], prompt_id=details["prompt_id"], client_id=client_id_for(job.job_id)
            )
        except ComfyUnreachable as error:
            # No answer is not "not received": sending again could run it twice, so ask where it is.
            where, entry = follower.locate()
            if where == "absent":
                raise EngineError(error.message) from error
            return entry
        except ComfyError as error:  # 400 naming the node and the value it refused, or another HTTP error
            raise EngineError(error.message) from error
        return None

    def _outputs(self, client: ComfyClient, entry: dict, workflow: dict) -> list[Image.Image]:
        """The images the SaveImage nodes wrote, in chain order, fetched with GET /view."""
        outputs = entry.get("outputs") or {}
        images = []
        for node_id in save_nodes(workflow):
            for item in (outputs.get(node_id) or {}).get("images", []):
                try:
                    data = client.view(
                        filename=item["filename"],
                        subfolder=item.get("subfolder", ""),
                        folder_type=item.get("type", "output"),
                    )
                except ComfyError as error:
                    raise EngineError(error.message) from error
                with Image.open(io.BytesIO(data)) as image:
                    images.append(image.convert("RGB"))
        if not images:
            raise EngineError(
                f"ComfyUI at {client.base_url} finished the prompt but saved no image: "
                "the workflow needs a SaveImage node."
            )
        return images
