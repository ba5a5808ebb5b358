"""ComfyUI workflows (API format: {node_id: {"class_type", "inputs"}}) made from SEIDRA requests.

Staff workflow templates map SEIDRA fields onto a template's inputs by node id and input name;
the admin checks the mapping on save (`workflow_inputs_problems`) and the engine fills it in
(`template_apply`). The txt2img builder lives here too, so the web process (admin checks, job
records) and the `comfyui` worker read one description of a workflow. Plain Python: no Django, no
torch.
"""

import copy
import re

from .limits import MAX_SEED
from .request import ImageRequest

# Node classes whose outputs are the job's images (PreviewImage writes to ComfyUI's temp folder only).
SAVE_IMAGE = "SaveImage"

# SEIDRA fields a template may take, as ImageRequest names them. `prompt` must be mapped.
TEMPLATE_FIELDS = ("prompt", "negative_prompt", "seed", "width", "height", "steps", "guidance", "batch_size")
TEMPLATE_REQUIRED = ("prompt",)


def workflow_inputs_problems(workflow, inputs) -> list[str]:
    """Why a template cannot be used, one sentence each (empty: it can): the workflow must be an
    API-format graph ("Save (API)" in ComfyUI), and each mapping must name a node of it and one of
    that node's inputs."""
    if not isinstance(workflow, dict) or not workflow:
        return ['The workflow must be a JSON object of nodes, as ComfyUI\'s "Save (API)" writes it.']
    problems = []
    for node_id, node in workflow.items():
        if not isinstance(node, dict) or "class_type" not in node or not isinstance(node.get("inputs"), dict):
            problems.append(
                f'Node {node_id} has no class_type and inputs: save the workflow with "Save (API)", not the UI format.'
            )
    if problems:
        return problems
    if not isinstance(inputs, dict):
        return ['The inputs must be a JSON object: {"prompt": {"node": "6", "input": "text"}, ...}.']
    for field in TEMPLATE_REQUIRED:
        if field not in inputs:
            problems.append(f"Map '{field}': a template without it would ignore what the user asks.")
    for field, target in inputs.items():
        if field not in TEMPLATE_FIELDS:
            problems.append(f"'{field}' is not a SEIDRA field; use one of {', '.join(TEMPLATE_FIELDS)}.")
            continue
        if not isinstance(target, dict) or not {"node", "input"} <= set(target):
            problems.append(f'\'{field}\' must map to {{"node": id, "input": name}}.')
            continue
        node = workflow.get(str(target["node"]))
        if node is None:
            problems.append(f"'{field}': the workflow has no node {target['node']}.")
        elif target["input"] not in node["inputs"]:
            names = ", ".join(sorted(node["inputs"])) or "none"
            problems.append(
                f"'{field}': node {target['node']} ({node['class_type']}) has no input '{target['input']}' "
                f"(it has: {names})."
            )
    return problems


def template_apply(workflow: dict, inputs: dict, values: dict) -> dict:
    """A copy of the template's workflow with each mapped input set from `values` (SEIDRA field -> value)."""
    filled = copy.deepcopy(workflow)
    for field, target in inputs.items():
        if field in values and values[field] is not None:
            filled[str(target["node"])]["inputs"][target["input"]] = values[field]
    return filled


def image_seeds(seed: int, count: int) -> list[int]:
    """SEIDRA's seeds of a batch: seed, seed+1, ... (wrapping at MAX_SEED), one per image, as the local engine."""
    return [(seed + offset) % (MAX_SEED + 1) for offset in range(count)]


def comfyui_sampler(scheduler: str) -> tuple[str, str]:
    """KSampler's (sampler_name, scheduler) for a SEIDRA scheduler key or label; ValueError when unknown."""
    # Imported here: the table sits with the validator, which needs Django; this module is read
    # without it (admin checks import it at start-up, the builder runs in a configured worker).
    from .parameters import COMFYUI_SAMPLERS, scheduler_lookup

    key = scheduler_lookup(scheduler)
    if key is None:
        raise ValueError(f"unknown scheduler '{scheduler}': use one of {', '.join(COMFYUI_SAMPLERS)}")
    return COMFYUI_SAMPLERS[key]


def txt2img_workflow(request: ImageRequest, *, checkpoint: str, seed: int, filename_prefix: str) -> dict:
    """The API-format graph of a text-to-image job.

    One chain (EmptyLatentImage of one image -> KSampler -> VAEDecode -> SaveImage) per image, with
    seeds seed, seed+1, ... sharing the checkpoint, the LoRAs and the two prompt encodings: each image
    can then be made again alone from its own seed, as with the local engine (one batched latent
    would draw every image's noise from one seed). Node ids say what each node is
    (`sampler_0`...), so a server's error message names a node a person recognises.
    """
    sampler_name, scheduler = comfyui_sampler(request.scheduler)
    workflow: dict = {"checkpoint": _node("CheckpointLoaderSimple", ckpt_name=checkpoint)}
    model, clip = ["checkpoint", 0], ["checkpoint", 1]
    for index, lora in enumerate(request.loras, start=1):
        node_id = f"lora_{index}"
        workflow[node_id] = _node(
            "LoraLoader",
            model=model,
            clip=clip,
            lora_name=lora.name,
            strength_model=lora.weight,
            strength_clip=lora.weight,
        )
        model, clip = [node_id, 0], [node_id, 1]
    workflow["positive"] = _node("CLIPTextEncode", text=request.prompt, clip=clip)
    workflow["negative"] = _node("CLIPTextEncode", text=request.negative_prompt, clip=clip)
    for index, image_seed in enumerate(image_seeds(seed, request.batch_size)):
        workflow[f"latent_{index}"] = _node(
            "EmptyLatentImage", width=request.width, height=request.height, batch_size=1
        )
        workflow[f"sampler_{index}"] = _node(
            "KSampler",
            model=model,
            positive=["positive", 0],
            negative=["negative", 0],
            latent_image=[f"latent_{index}", 0],
            seed=image_seed,
            steps=request.steps,
            cfg=request.guidance,
            sampler_name=sampler_name,
            scheduler=scheduler,
            denoise=1.0,
        )
        workflow[f"decode_{index}"] = _node("VAEDecode", samples=[f"sampler_{index}", 0], vae=["checkpoint", 2])
        workflow[f"save_{index}"] = _node(SAVE_IMAGE, images=[f"decode_{index}", 0], filename_prefix=filename_prefix)
    return workflow


def _node(class_type: str, **inputs) -> dict:
    return {"class_type": class_type, "inputs": inputs}


def template_values(request: ImageRequest, *, seed: int) -> dict:
    """What a staff template's mapped inputs are filled with (TEMPLATE_FIELDS), the seed already drawn."""
    return {field: getattr(request, field) for field in TEMPLATE_FIELDS if field != "seed"} | {"seed": seed}


def _natural_key(node_id: str) -> tuple:
    # "save_2" before "save_10", "9" before "10": a job row's JSON may come back with its keys
    # reordered (PostgreSQL's jsonb sorts them), so order is never taken from the dict.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(node_id)))


def save_nodes(workflow: dict) -> list[str]:
    """The ids of the nodes whose images are the job's outputs, in chain order."""
    return sorted(
        (node_id for node_id, node in workflow.items() if node.get("class_type") == SAVE_IMAGE), key=_natural_key
    )


def sampler_nodes(workflow: dict) -> list[str]:
    """The KSampler ids in chain order: each reports its own steps, the job reports them end to end."""
    return sorted(
        (node_id for node_id, node in workflow.items() if node.get("class_type") == "KSampler"), key=_natural_key
    )
