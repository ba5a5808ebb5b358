"""The catalog file: what setup_models installs, and clear errors when someone edits it badly."""

import json

import pytest

from apps.catalog.catalog_file import catalog_load
from apps.core.errors import SeidraError
from tests.support.model_files import catalog_write, lora_entry


def test_shipped_catalog_has_sdxl_fp16_the_fixed_vae_and_the_four_styles():
    catalog = catalog_load()

    sdxl = catalog.get("stable-diffusion-xl-base-1.0")
    assert sdxl.kind == "checkpoint" and sdxl.repo_id == "stabilityai/stable-diffusion-xl-base-1.0"
    assert sdxl.variant == "fp16"
    weights = [f for f in sdxl.files if f.endswith(".safetensors")]
    assert sorted(weights) == [
        "text_encoder/model.fp16.safetensors",
        "text_encoder_2/model.fp16.safetensors",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]
    # Only what the fp16 pipeline loads: no full-precision copies, .bin, refiner or single-file checkpoint.
    assert "model_index.json" in sdxl.files
    assert not [f for f in sdxl.files if f.endswith((".bin", ".ckpt", ".onnx", ".msgpack"))]
    assert "sd_xl_base_1.0.safetensors" not in sdxl.files
    assert not [f for f in sdxl.files if "refiner" in f]

    vae = catalog.get("sdxl-vae-fp16-fix")
    assert (vae.kind, vae.repo_id) == ("vae", "madebyollin/sdxl-vae-fp16-fix")
    assert set(vae.files) == {"config.json", "diffusion_pytorch_model.safetensors"}

    loras = catalog.loras()
    assert {"anime", "photorealistic", "fantasy", "cyberpunk"} <= {lora.style for lora in loras}
    for lora in loras:
        assert "/" in lora.repo_id and lora.files[0].endswith(".safetensors")
        assert lora.license and lora.base == "sdxl" and 0 < lora.default_weight <= 5


def test_shipped_catalog_says_where_the_ids_come_from():
    data = json.loads(catalog_load().path.read_text())
    assert "model cards" in data["_comment"]


def test_the_setting_points_at_another_catalog(settings, tmp_path):
    settings.SEIDRA_CATALOG_FILE = catalog_write(tmp_path / "mine.json", [lora_entry("only-one")])
    assert catalog_load().names() == ["only-one"]


@pytest.mark.parametrize(
    ("bad_fields", "expected"),
    [
        ({"default_weight": "heavy"}, "'default_weight' must be a number"),
        ({"trigger_word": ["x"]}, "unknown field(s) trigger_word"),
        ({"filename": "style.ckpt"}, "'filename' must be a .safetensors file"),
        ({"filename": "../../etc/passwd.safetensors"}, "unsafe path"),
        ({"repo_id": "no-owner"}, "'repo_id' must look like 'owner/name'"),
        ({"kind": "embedding"}, "'kind' must be one of checkpoint, vae, lora"),
        ({"name": "Has Spaces"}, "'name' must be lower-case"),
    ],
)
def test_a_bad_entry_is_refused_with_its_number_and_name(settings, tmp_path, bad_fields, expected):
    settings.SEIDRA_CATALOG_FILE = catalog_write(
        tmp_path / "catalog.json", [lora_entry("good-one"), {**lora_entry("bad-lora"), **bad_fields}]
    )
    with pytest.raises(SeidraError) as caught:
        catalog_load()
    name = bad_fields.get("name", "bad-lora")
    assert f"entry 2 ('{name}')" in caught.value.message
    assert expected in caught.value.message
    assert str(settings.SEIDRA_CATALOG_FILE) in caught.value.message


def test_a_checkpoint_without_model_index_is_refused(settings, tmp_path):
    entry = {"name": "half", "kind": "checkpoint", "repo_id": "a/b", "files": ["unet/x.safetensors"],
             "license": "MIT", "base": "sdxl"}  # fmt: skip
    settings.SEIDRA_CATALOG_FILE = catalog_write(tmp_path / "catalog.json", [entry])
    with pytest.raises(SeidraError, match=r"entry 1 \('half'\): 'files' must include model_index.json"):
        catalog_load()


def test_duplicate_names_and_broken_json_are_reported(settings, tmp_path):
    settings.SEIDRA_CATALOG_FILE = catalog_write(tmp_path / "dup.json", [lora_entry("twice"), lora_entry("twice")])
    with pytest.raises(SeidraError, match=r"entry 2 \('twice'\): the name 'twice' is used twice"):
        catalog_load()

    broken = tmp_path / "broken.json"
    broken.write_text('{"entries": [\n  {"name": "x",}\n]}')
    settings.SEIDRA_CATALOG_FILE = broken
    with pytest.raises(SeidraError, match=r"not valid JSON \(line 2"):
        catalog_load()
