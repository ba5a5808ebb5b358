"""The ComfyUI workflows SEIDRA sends: the txt2img graph built from a request, and a template filled in.

Pure: no server. That ComfyUI accepts and runs these graphs is shown by test_comfyui_engine.py.
"""

import json
import random
from dataclasses import replace

import pytest

from apps.catalog.comfyui_workflow import (
    comfyui_sampler,
    image_seeds,
    sampler_nodes,
    save_nodes,
    template_apply,
    template_values,
    txt2img_workflow,
)
from apps.catalog.limits import MAX_SEED
from apps.catalog.parameters import COMFYUI_SAMPLERS, SCHEDULERS
from apps.catalog.request import ImageRequest, LoraChoice

REQUEST = ImageRequest(
    prompt="a lighthouse at dusk",
    negative_prompt="blurry",
    model="test-sdxl.safetensors",
    width=64,
    height=96,
    steps=2,
    guidance=5.5,
    scheduler="dpmpp_2m_karras",
)


def build(request=REQUEST, seed=1234):
    return txt2img_workflow(request, checkpoint="test-sdxl.safetensors", seed=seed, filename_prefix="seidra/job-1")


def classes(workflow):
    return sorted(node["class_type"] for node in workflow.values())


def linked(workflow, node_id, input_name):
    """The node id an input is wired to ([node_id, output_index] in API format)."""
    return workflow[node_id]["inputs"][input_name][0]


def test_one_image_is_the_classic_txt2img_chain():
    workflow = build()
    assert classes(workflow) == sorted(
        [
            "CheckpointLoaderSimple",
            "CLIPTextEncode",
            "CLIPTextEncode",
            "EmptyLatentImage",
            "KSampler",
            "VAEDecode",
            "SaveImage",
        ]
    )
    [loader] = [node_id for node_id, node in workflow.items() if node["class_type"] == "CheckpointLoaderSimple"]
    assert workflow[loader]["inputs"] == {"ckpt_name": "test-sdxl.safetensors"}
    [sampler] = sampler_nodes(workflow)
    inputs = workflow[sampler]["inputs"]
    assert (inputs["seed"], inputs["steps"], inputs["cfg"], inputs["denoise"]) == (1234, 2, 5.5, 1.0)
    assert (inputs["sampler_name"], inputs["scheduler"]) == ("dpmpp_2m", "karras")
    assert workflow[linked(workflow, sampler, "positive")]["inputs"]["text"] == "a lighthouse at dusk"
    assert workflow[linked(workflow, sampler, "negative")]["inputs"]["text"] == "blurry"
    latent = workflow[linked(workflow, sampler, "latent_image")]["inputs"]
    assert (latent["width"], latent["height"], latent["batch_size"]) == (64, 96, 1)
    assert linked(workflow, sampler, "model") == loader
    [save] = save_nodes(workflow)
    decode = linked(workflow, save, "images")
    assert linked(workflow, decode, "samples") == sampler and workflow[decode]["inputs"]["vae"] == [loader, 2]
    assert workflow[save]["inputs"]["filename_prefix"] == "seidra/job-1"
    json.dumps(workflow)  # plain JSON: it is posted as is and kept on the job row


def test_a_batch_is_one_chain_per_image_with_seeds_in_sequence_sharing_loaders_and_prompts():
    workflow = build(replace(REQUEST, batch_size=3), seed=MAX_SEED - 1)
    samplers, saves = sampler_nodes(workflow), save_nodes(workflow)
    assert len(samplers) == len(saves) == 3
    # Each image can be made again alone: its own seed, and a latent of one image.
    assert [workflow[node]["inputs"]["seed"] for node in samplers] == [MAX_SEED - 1, MAX_SEED, 0]
    assert image_seeds(MAX_SEED - 1, 3) == [MAX_SEED - 1, MAX_SEED, 0]
    assert all(workflow[linked(workflow, node, "latent_image")]["inputs"]["batch_size"] == 1 for node in samplers)
    assert len({linked(workflow, node, "latent_image") for node in samplers}) == 3
    # One loader and one encoding of each prompt, shared.
    assert classes(workflow).count("CheckpointLoaderSimple") == 1 and classes(workflow).count("CLIPTextEncode") == 2
    assert len({(linked(workflow, node, "positive"), linked(workflow, node, "negative")) for node in samplers}) == 1
    # Outputs in chain order: save i shows sampler i's image.
    assert [linked(workflow, linked(workflow, save, "images"), "samples") for save in saves] == samplers


def test_loras_are_chained_on_model_and_clip_with_their_weight():
    request = replace(REQUEST, loras=(LoraChoice("style.safetensors", 0.8), LoraChoice("ink.safetensors", -1.5)))
    workflow = build(request)
    loras = [node_id for node_id, node in workflow.items() if node["class_type"] == "LoraLoader"]
    assert [workflow[node]["inputs"]["lora_name"] for node in loras] == ["style.safetensors", "ink.safetensors"]
    assert [
        (workflow[node]["inputs"]["strength_model"], workflow[node]["inputs"]["strength_clip"]) for node in loras
    ] == [
        (0.8, 0.8),
        (-1.5, -1.5),
    ]
    first, second = loras
    assert workflow[first]["inputs"]["model"][0] == workflow[first]["inputs"]["clip"][0] == "checkpoint"
    assert workflow[second]["inputs"]["model"] == [first, 0] and workflow[second]["inputs"]["clip"] == [first, 1]
    # The prompts are encoded with the LoRAs' CLIP, and the sampler denoises with their model.
    [sampler] = sampler_nodes(workflow)
    assert workflow[linked(workflow, sampler, "positive")]["inputs"]["clip"] == [second, 1]
    assert workflow[sampler]["inputs"]["model"] == [second, 0]


@pytest.mark.parametrize("key", sorted(SCHEDULERS))
def test_every_seidra_scheduler_maps_to_a_comfyui_sampler_by_key_or_label(key):
    assert comfyui_sampler(key) == COMFYUI_SAMPLERS[key] == comfyui_sampler(SCHEDULERS[key].upper())
    workflow = build(replace(REQUEST, scheduler=key))
    [sampler] = sampler_nodes(workflow)
    assert (workflow[sampler]["inputs"]["sampler_name"], workflow[sampler]["inputs"]["scheduler"]) == COMFYUI_SAMPLERS[
        key
    ]


def test_an_unknown_scheduler_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="unknown scheduler 'lms'.*euler_a"):
        comfyui_sampler("lms")


def test_outputs_and_samplers_keep_chain_order_whatever_order_the_stored_json_has():
    workflow = build(replace(REQUEST, batch_size=4))
    shuffled = dict(random.Random(7).sample(sorted(workflow.items()), len(workflow)))
    assert save_nodes(shuffled) == save_nodes(workflow) == ["save_0", "save_1", "save_2", "save_3"]
    template = {str(n): {"class_type": "SaveImage", "inputs": {}} for n in (10, 9, 100)}
    assert save_nodes(template) == ["9", "10", "100"]


def test_a_template_is_filled_with_the_request_values_and_the_drawn_seed():
    template = {
        "3": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 20, "cfg": 8.0}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}},
    }
    inputs = {
        "prompt": {"node": "6", "input": "text"},
        "seed": {"node": "3", "input": "seed"},
        "steps": {"node": 3, "input": "steps"},
        "width": {"node": "5", "input": "width"},
    }
    filled = template_apply(template, inputs, template_values(REQUEST, seed=42))
    assert filled["6"]["inputs"]["text"] == "a lighthouse at dusk"
    assert filled["3"]["inputs"] == {"seed": 42, "steps": 2, "cfg": 8.0}  # cfg unmapped: the template's own
    assert filled["5"]["inputs"] == {"width": 64, "height": 512, "batch_size": 1}
    assert template["6"]["inputs"]["text"] == ""  # the template itself is left as staff saved it
