"""Parameters read back from PNGs made by SEIDRA, AUTOMATIC1111/Forge and ComfyUI.

The two foreign fixtures are built here from their tools' documented formats: A1111's `parameters`
text chunk (modules/infotext_utils.py writes and parses it) and ComfyUI's API-format graph in a
`prompt` chunk (what its SaveImage node embeds).
"""

import io
import json
import zlib

import pytest
from PIL import Image, PngImagePlugin

from apps.accounts.services import access_token_create
from apps.catalog.models import InstalledLora, InstalledModel
from apps.gallery.parameters_read import NoParameters, png_parameters_from_file
from apps.gallery.png_chunks import NotPng, png_text_chunks
from apps.gallery.png_metadata import png_with_parameters
from tests.support.openapi import assert_matches_schema, served_schema

URL = "/api/media/read-parameters"


def _png(**chunks: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, text in chunks.items():
        info.add_text(key, text)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def installed(db):
    InstalledModel.objects.create(name="juggernaut-xl", kind="checkpoint", format="single_file", path="j.safetensors")
    InstalledModel.objects.create(name="seidra-tiny-sdxl", kind="checkpoint", format="diffusers", path="tiny")
    InstalledLora.objects.create(name="pixel-art", path="loras/pixel-art.safetensors")
    InstalledLora.objects.create(name="film-grain", path="loras/film-grain.safetensors")


# What the worker stores with each image (workers/jobs.py, workers/engines/sdxl/generate.py).
SEIDRA_PARAMETERS = {
    "prompt": "a lighthouse at dusk",
    "negative_prompt": "blurry",
    "model": "seidra-tiny-sdxl",
    "loras": [{"name": "pixel-art", "weight": 0.8}],
    "width": 256,
    "height": 192,
    "steps": 12,
    "guidance": 6.5,
    "scheduler": "DPM++ 2M Karras",
    "seed": 4242,
    "seeds": [4241, 4242],
    "batch_size": 2,
    "device": "cpu",
    "job": "0b9c1e7e-3d0a-4ad5-9d49-8f4f2b3b3f00",
}

A1111_TEXT = (
    "masterpiece, a red fox in the snow, <lora:pixel-art:0.7>, detailed fur <lora:missing-style:1.2>\n"
    "second line of the prompt\n"
    "Negative prompt: lowres, bad anatomy\n"
    "worst quality\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5.5, Seed: 1234567890, "
    'Size: 832x1216, Model hash: 1a2b3c4d, Model: juggernaut-xl.safetensors, Lora hashes: "pixel-art: 0a1b, '
    'missing-style: 2c3d", Version: f2.0.1v1.10.1'
)


def _comfyui_graph(*, sampler="euler_ancestral", scheduler="normal") -> dict:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "SDXL/juggernaut-xl.safetensors"}},
        "10": {
            "class_type": "LoraLoader",
            "inputs": {
                "lora_name": "pixel-art.safetensors",
                "strength_model": 0.6,
                "strength_clip": 0.6,
                "model": ["4", 0],
                "clip": ["4", 1],
            },
        },  # fmt: skip
        "11": {
            "class_type": "LoraLoader",
            "inputs": {
                "lora_name": "film-grain.safetensors",
                "strength_model": 0.3,
                "strength_clip": 1.0,
                "model": ["10", 0],
                "clip": ["10", 1],
            },
        },  # fmt: skip
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "an astronaut riding a horse", "clip": ["11", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["11", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 2}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 156680208700286,
                "steps": 20,
                "cfg": 8.0,
                "sampler_name": sampler,
                "scheduler": scheduler,
                "denoise": 1.0,
                "model": ["11", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },  # fmt: skip
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    }


def test_a_png_made_by_seidra_gives_back_its_parameters_with_this_images_seed(installed):
    read = png_parameters_from_file(png_with_parameters(Image.new("RGB", (256, 192)), SEIDRA_PARAMETERS))
    assert read.source == "seidra"
    assert read.parameters == {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "model": "seidra-tiny-sdxl",
        "loras": [{"name": "pixel-art", "weight": 0.8}],
        "width": 256,
        "height": 192,
        "steps": 12,
        "guidance": 6.5,
        "scheduler": "dpmpp_2m_karras",  # the label stored in the file, as the API names it
        "seed": 4242,
        "batch_size": 1,  # the file is one image of the batch; its own seed makes it again
    }
    assert read.unread == {}


def test_an_automatic1111_png_fills_every_field_and_names_what_is_missing_here(installed):
    read = png_parameters_from_file(_png(parameters=A1111_TEXT))
    assert read.source == "automatic1111"
    assert read.parameters == {
        "prompt": "masterpiece, a red fox in the snow, detailed fur\nsecond line of the prompt",
        "negative_prompt": "lowres, bad anatomy\nworst quality",
        "model": "juggernaut-xl",  # the file name without its suffix is the installed model
        "loras": [{"name": "pixel-art", "weight": 0.7}],
        "width": 832,
        "height": 1216,
        "steps": 28,
        "guidance": 5.5,
        "scheduler": "dpmpp_2m_karras",  # newer A1111: the sampler and its schedule type apart
        "seed": 1234567890,
        "batch_size": 1,
    }
    assert read.unread == {"loras": "Not installed on this server: missing-style."}


def test_an_older_automatic1111_line_and_an_unknown_model_and_sampler(installed):
    text = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512, Model: sd_xl_base_1.0"
    read = png_parameters_from_file(_png(parameters=text))
    assert read.parameters["scheduler"] == "euler_a" and read.parameters["negative_prompt"] == ""
    assert "model" not in read.parameters
    assert read.unread == {"model": "The model 'sd_xl_base_1.0' is not installed on this server."}

    odd = png_parameters_from_file(_png(parameters="a cat\nSteps: 20, Sampler: LCM, Seed: 5, Size: 512x512"))
    assert odd.unread["scheduler"] == "The sampler 'LCM' has no equivalent here."
    assert odd.unread["guidance"] == "Not in the file." and odd.unread["model"] == "Not in the file."


def test_a_comfyui_png_is_read_from_its_ksampler_encoders_latent_and_loader_chain(installed):
    data = _png(prompt=json.dumps(_comfyui_graph()), workflow=json.dumps({"nodes": []}))
    read = png_parameters_from_file(data)
    assert read.source == "comfyui"
    assert read.parameters == {
        "prompt": "an astronaut riding a horse",
        "negative_prompt": "text, watermark",
        "model": "juggernaut-xl",
        "loras": [{"name": "pixel-art", "weight": 0.6}, {"name": "film-grain", "weight": 0.3}],
        "width": 1024,
        "height": 768,
        "steps": 20,
        "guidance": 8.0,
        "scheduler": "euler_a",
        "seed": 156680208700286,
        "batch_size": 2,
    }
    assert read.unread == {}


def test_a_comfyui_sampler_without_equivalent_and_a_linked_text_node_are_handled(installed):
    graph = _comfyui_graph(sampler="dpmpp_2m", scheduler="exponential")
    graph["20"] = {"class_type": "PrimitiveString", "inputs": {"value": "a castle, linked from a text node"}}
    graph["6"]["inputs"]["text"] = ["20", 0]
    read = png_parameters_from_file(_png(prompt=json.dumps(graph)))
    assert read.parameters["prompt"] == "a castle, linked from a text node"
    assert read.unread == {"scheduler": "The sampler 'dpmpp_2m / exponential' has no equivalent here."}
    karras = png_parameters_from_file(_png(prompt=json.dumps(_comfyui_graph(sampler="dpmpp_2m", scheduler="karras"))))
    assert karras.parameters["scheduler"] == "dpmpp_2m_karras"


def test_files_without_parameters_or_not_png_are_refused_with_the_reason(installed):
    with pytest.raises(NotPng):
        png_parameters_from_file(b"GIF89a not a png")
    with pytest.raises(NoParameters, match="no generation parameters"):
        png_parameters_from_file(_png())
    with pytest.raises(NoParameters, match="no KSampler"):
        png_parameters_from_file(_png(prompt=json.dumps({"1": {"class_type": "SaveImage", "inputs": {}}})))
    with pytest.raises(NotPng, match="cut short"):
        png_text_chunks(_png(parameters=A1111_TEXT)[:60])


def test_compressed_and_international_text_chunks_are_read_and_capped():
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "zipped prompt", zip=True)  # zTXt
    info.add_itxt("seidra", json.dumps({"prompt": "prompt with ünïcode"}), zip=True)  # compressed iTXt
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    chunks = png_text_chunks(buffer.getvalue())
    assert chunks["parameters"] == "zipped prompt"
    assert json.loads(chunks["seidra"]) == {"prompt": "prompt with ünïcode"}

    bomb = zlib.compress(b"a" * (3 * 1024 * 1024))  # inflates far past the cap of one chunk
    info = PngImagePlugin.PngInfo()
    info.add(b"zTXt", b"parameters\x00\x00" + bomb)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    with pytest.raises(NotPng, match="cap"):
        png_text_chunks(buffer.getvalue())


@pytest.mark.django_db
def test_the_api_reads_an_uploaded_png_and_answers_its_schema(installed, client, user_factory):
    user_factory("reader")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access_token_create(username='reader', hours=1)}"}
    upload = io.BytesIO(_png(parameters=A1111_TEXT))
    upload.name = "fox.png"
    response = client.post(URL, {"file": upload}, **headers)
    assert response.status_code == 200, response.content
    assert response.json()["source"] == "automatic1111"
    assert response.json()["parameters"]["seed"] == 1234567890
    assert response.json()["unread"] == {"loras": "Not installed on this server: missing-style."}
    assert_matches_schema(served_schema(), URL, "post", response)

    text_file = io.BytesIO(b"not an image")
    text_file.name = "notes.png"
    refused = client.post(URL, {"file": text_file}, **headers)
    assert refused.status_code == 400 and refused.json()["errors"] == {"file": ["Not a PNG file."]}
    assert_matches_schema(served_schema(), URL, "post", refused)
    missing = client.post(URL, {}, **headers)
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    assert client.post(URL, {"file": io.BytesIO(b"x")}).status_code == 401
