"""Staff add a LoRA from a file on the server: checked, copied, listed; nothing overwritten."""

import pytest

from apps.catalog.models import InstalledLora, Source
from apps.catalog.selectors import lora_path
from apps.catalog.services import lora_add_from_file, lora_add_from_hub
from apps.core.errors import SeidraError
from tests.support.model_files import safetensors_write

pytestmark = pytest.mark.django_db


def test_a_good_file_is_copied_into_loras_and_listed(models_dir, test_catalog, tmp_path):
    source = safetensors_write(tmp_path / "downloads" / "Neon City v2.safetensors", {"w": [8, 8]}, fill=7)

    lora = lora_add_from_file(source_path=source, name="neon-city")

    assert lora_path(lora) == models_dir / "loras" / "neon-city.safetensors"
    assert lora_path(lora).read_bytes() == source.read_bytes()
    assert source.exists()  # copied, not moved
    assert (lora.source, lora.is_demo, lora.size_bytes) == (Source.LOCAL, False, source.stat().st_size)


def test_the_name_defaults_to_the_file_name_and_adding_it_again_changes_nothing(models_dir, test_catalog, tmp_path):
    source = safetensors_write(tmp_path / "ink-wash.safetensors")
    first = lora_add_from_file(source_path=str(source))
    second = lora_add_from_file(source_path=str(source))
    assert first.pk == second.pk and first.name == "ink-wash"
    assert first.trigger_words == ["ink wash", "sumi-e"]  # named like the catalog entry
    assert InstalledLora.objects.count() == 1


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("style.txt", b"hello", "Only .safetensors LoRA files can be added"),
        ("style.ckpt", b"PK\x03\x04", "Only .safetensors LoRA files can be added"),
        ("corrupt.safetensors", b"\x00" * 4, "not a readable safetensors file: file too short"),
        ("renamed.safetensors", b"PK\x03\x04" + b"\x00" * 64, "not a readable safetensors file: header length"),
    ],
)
def test_files_that_are_not_safetensors_are_refused_and_nothing_is_copied(models_dir, tmp_path, file_name, content,
                                                                          message, test_catalog):  # fmt: skip
    source = tmp_path / file_name
    source.write_bytes(content)
    with pytest.raises(SeidraError, match=message):
        lora_add_from_file(source_path=source)
    assert not (models_dir / "loras").exists() or not any((models_dir / "loras").iterdir())
    assert InstalledLora.objects.count() == 0


def test_a_different_lora_of_the_same_name_is_never_overwritten(models_dir, test_catalog, tmp_path):
    existing = safetensors_write(models_dir / "loras" / "portrait.safetensors", fill=1)
    before = existing.read_bytes()
    other = safetensors_write(tmp_path / "portrait.safetensors", fill=2)

    with pytest.raises(SeidraError, match="A different LoRA named 'portrait' already exists") as caught:
        lora_add_from_file(source_path=other)

    assert caught.value.status == 409
    assert existing.read_bytes() == before


def test_a_missing_path_and_a_bad_name_are_refused(models_dir, test_catalog, tmp_path):
    with pytest.raises(SeidraError, match="No file at"):
        lora_add_from_file(source_path=tmp_path / "nowhere.safetensors")
    source = safetensors_write(tmp_path / "ok.safetensors")
    with pytest.raises(SeidraError, match="cannot be a LoRA name"):
        lora_add_from_file(source_path=source, name="../escape")
    assert not (models_dir / "loras").exists()


def test_hub_download_failure_is_one_actionable_line(models_dir, test_catalog, monkeypatch, unused_tcp_port):
    # The endpoint huggingface_hub read from HF_ENDPOINT at import, pointed at a port nothing listens on.
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", f"http://127.0.0.1:{unused_tcp_port}")
    with pytest.raises(SeidraError) as caught:
        lora_add_from_hub(repo_id="nerijs/pixel-art-xl", filename="pixel-art-xl.safetensors")
    message = caught.value.message
    assert "Cannot download nerijs/pixel-art-xl: the Hugging Face Hub is unreachable" in message
    assert "\n" not in message
    assert not (models_dir / "loras" / "pixel-art-xl.safetensors").exists()
