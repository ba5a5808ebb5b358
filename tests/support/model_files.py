"""Small but real model files for the catalog and setup_models tests: safetensors written byte by
byte (the format is an 8-byte length, a JSON header, raw data), catalogs, and a local Hugging Face
cache laid out as huggingface_hub lays it out."""

import json
import struct
from math import prod
from pathlib import Path

FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def safetensors_write(path: Path, tensors: dict[str, list[int]] | None = None, *, fill: int = 0) -> Path:
    """A valid .safetensors file of float32 tensors filled with the byte `fill` (vary it for distinct files)."""
    tensors = tensors or {"lora_unet_down_blocks_0.lora_down.weight": [4, 8]}
    header, offset = {}, 0
    for name, shape in tensors.items():
        size = prod(shape) * 4
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)  # the format pads the header to 8 bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes([fill]) * offset)
    return path


def json_write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def diffusers_pipeline_write(directory: Path, *, fill: int = 0) -> Path:
    """A directory the sync accepts as a diffusers pipeline (model_index.json and one component)."""
    json_write(directory / "model_index.json", {"_class_name": "StableDiffusionXLPipeline"})
    json_write(directory / "unet" / "config.json", {"_class_name": "UNet2DConditionModel"})
    safetensors_write(directory / "unet" / "diffusion_pytorch_model.safetensors", {"conv_in.weight": [8, 4]}, fill=fill)
    return directory


def vae_write(directory: Path) -> Path:
    json_write(directory / "config.json", {"_class_name": "AutoencoderKL"})
    safetensors_write(directory / "diffusion_pytorch_model.safetensors", {"decoder.conv_in.weight": [4, 4]})
    return directory


def catalog_write(path: Path, entries: list[dict]) -> Path:
    return json_write(path, {"_comment": "test catalog", "entries": entries})


def lora_entry(name: str, **fields) -> dict:
    entry = {
        "name": name,
        "kind": "lora",
        "style": "anime",
        "repo_id": f"seidra-test/{name}",
        "filename": f"{name}-v1.safetensors",
        "trigger_words": ["tiny style"],
        "default_weight": 0.7,
        "license": "MIT",
        "base": "sdxl",
    }
    return {**entry, **fields}


def hub_cache_repo(cache: Path, repo_id: str, files: dict[str, bytes | None]) -> Path:
    """`<cache>/models--<org>--<name>/{refs/main, snapshots/<commit>/...}`, as huggingface_hub
    writes it (with real files instead of links into blobs/). A None value writes a small
    safetensors file. Returns the snapshot directory."""
    repo_dir = cache / ("models--" + repo_id.replace("/", "--"))
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / "main").write_text(FAKE_COMMIT)
    snapshot = repo_dir / "snapshots" / FAKE_COMMIT
    for relative, content in files.items():
        target = snapshot / relative
        if content is None:
            safetensors_write(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return snapshot
