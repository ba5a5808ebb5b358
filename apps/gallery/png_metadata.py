"""Parameters inside the PNG, readable by other tools.

Two text chunks: `parameters` in the AUTOMATIC1111 format (read by A1111, Forge, ComfyUI
loaders, Civitai and most image viewers), and `seidra` with the same parameters as JSON.
What an image carries is made once, by `image_metadata`: the job's request as the row stores it
(apps/catalog/request.py ImageRequest.to_json) plus what the engine reports, for every engine.
"""

import io
import json

from PIL import Image, PngImagePlugin

from apps.catalog.parameters import SCHEDULERS


def image_metadata(*, parameters: dict, seed: int, job_id: str) -> dict:
    """The parameters one image of a job is stored with (the Media row and both PNG chunks): what the
    engine says produced it (the request's JSON with its facts over it: the seed it drew, the
    sampler's label, device...), this image's own seed (seed, seed+1... in a batch) and the job."""
    return {**parameters, "seed": seed, "job": job_id}


def a1111_parameters(parameters: dict) -> str:
    """The A1111 text: prompt (LoRAs as <lora:name:weight> tags), negative prompt, settings line."""
    loras = " ".join(f"<lora:{lora['name']}:{lora['weight']:g}>" for lora in parameters.get("loras", []))
    prompt = " ".join(part for part in (parameters.get("prompt", ""), loras) if part)
    lines = [prompt]
    if parameters.get("negative_prompt"):
        lines.append(f"Negative prompt: {parameters['negative_prompt']}")
    scheduler = parameters.get("scheduler", "")
    settings = {
        "Steps": parameters.get("steps"),
        "Sampler": SCHEDULERS.get(scheduler, scheduler),
        "CFG scale": parameters.get("guidance"),
        "Seed": parameters.get("seed"),
        "Size": f"{parameters.get('width')}x{parameters.get('height')}",
        "Model": parameters.get("model"),
        "Version": "SEIDRA Ultimate",
    }
    lines.append(", ".join(f"{key}: {value}" for key, value in settings.items() if value not in (None, "")))
    return "\n".join(lines)


def png_with_parameters(image: Image.Image, parameters: dict) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", a1111_parameters(parameters))
    info.add_text("seidra", json.dumps(parameters, sort_keys=True))
    buffer = io.BytesIO()
    # Level 1: PNG is lossless at any level; the default (6) costs several times the encode
    # time of a job's last step for files only ~10 % smaller.
    image.save(buffer, format="PNG", pnginfo=info, compress_level=1)
    return buffer.getvalue()


def png_parameters_read(data: bytes) -> dict:
    """Both chunks of a stored PNG: {"parameters": A1111 text, "seidra": dict}."""
    with Image.open(io.BytesIO(data)) as image:
        text = image.text  # type: ignore[attr-defined]
    return {"parameters": text.get("parameters", ""), "seidra": json.loads(text.get("seidra", "{}"))}
