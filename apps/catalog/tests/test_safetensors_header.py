"""The safetensors check that guards every LoRA and downloaded weight, without torch."""

import numpy as np
import pytest
from safetensors.numpy import save_file

from apps.catalog.safetensors_header import InvalidSafetensors, safetensors_header_read
from tests.support.model_files import safetensors_write


def test_a_file_written_by_the_safetensors_library_is_read(tmp_path):
    path = tmp_path / "real.safetensors"
    save_file({"lora.up": np.ones((4, 2), dtype=np.float16), "lora.down": np.zeros(3, dtype=np.float32)}, str(path),
              metadata={"ss_base_model_version": "sdxl_base_v1-0"})  # fmt: skip
    header = safetensors_header_read(path)
    assert header["lora.up"]["shape"] == [4, 2]
    assert header["__metadata__"]["ss_base_model_version"] == "sdxl_base_v1-0"


def test_a_truncated_download_is_caught(tmp_path):
    path = safetensors_write(tmp_path / "cut.safetensors", {"w": [64, 64]})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(InvalidSafetensors, match="truncated download"):
        safetensors_header_read(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "too short"),
        (b"PK\x03\x04 a zip, like a renamed .ckpt", "header length"),
        (b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!", "not JSON"),
    ],
)
def test_files_that_are_not_safetensors_are_refused_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "fake.safetensors"
    path.write_bytes(content)
    with pytest.raises(InvalidSafetensors, match=reason):
        safetensors_header_read(path)
