"""A LoRA's key format, read from its safetensors header: ComfyUI reads kohya keys only."""

import pytest

from apps.catalog.lora_keys import lora_key_format
from apps.catalog.models import InstalledLora, LoraKeyFormat
from apps.catalog.services import catalog_sync_from_disk
from tests.support.model_files import safetensors_write


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"lora_unet_down_blocks_0_attn1_to_q.lora_down.weight": [4, 8], "lora_unet_x.alpha": [1]}, "kohya"),
        ({"lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight": [8, 4]}, "kohya"),
        ({"unet.down_blocks.0.attentions.0.proj_in.lora_A.weight": [4, 8]}, "diffusers"),
        ({"down_blocks.0.attentions.0.proj_in.lora.down.weight": [4, 8]}, "diffusers"),
        ({"something.else": [2, 2]}, ""),
    ],
)
def test_key_format_from_the_header(tmp_path, keys, expected):
    assert lora_key_format(safetensors_write(tmp_path / "x.safetensors", keys)) == expected


def test_unreadable_file_is_not_checked(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"not a safetensors file")
    assert lora_key_format(path) == LoraKeyFormat.UNKNOWN


@pytest.mark.django_db
def test_the_disk_sync_records_each_local_loras_key_format(models_dir, test_catalog):
    safetensors_write(models_dir / "loras" / "kohya-style.safetensors", {"lora_unet_a.lora_down.weight": [4, 8]})
    safetensors_write(models_dir / "loras" / "peft-style.safetensors", {"unet.a.lora_B.weight": [8, 4]})

    catalog_sync_from_disk()

    assert dict(InstalledLora.objects.values_list("name", "key_format")) == {
        "kohya-style": LoraKeyFormat.KOHYA,
        "peft-style": LoraKeyFormat.DIFFUSERS,
    }
