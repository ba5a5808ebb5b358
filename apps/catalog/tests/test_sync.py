"""catalog_sync_from_disk: the tables follow what is under SEIDRA_MODELS_DIR."""

import pytest

from apps.catalog.models import InstalledLora, InstalledModel, Source
from apps.catalog.selectors import lora_get, lora_path, model_get, model_path
from apps.catalog.services import catalog_sync_from_disk
from apps.core.errors import SeidraError
from tests.support.model_files import diffusers_pipeline_write, safetensors_write, vae_write

pytestmark = pytest.mark.django_db


def _demo_layout(root):
    """What `manage.py make_tiny_model` leaves on disk."""
    diffusers_pipeline_write(root / "checkpoints" / "seidra-tiny-sdxl")
    safetensors_write(root / "checkpoints" / "seidra-tiny-sdxl.safetensors", {"model.diffusion_model.x": [2, 2]})
    safetensors_write(root / "loras" / "seidra-tiny-lora.safetensors")
    safetensors_write(root / "loras" / "seidra-tiny-lora-b.safetensors", fill=1)


def test_sync_lists_every_kind_of_file_with_sizes_and_absolute_paths(models_dir, test_catalog):
    diffusers_pipeline_write(models_dir / "checkpoints" / "my-pipeline")
    single = safetensors_write(models_dir / "checkpoints" / "dreamy.safetensors", {"w": [16, 16]})
    vae_write(models_dir / "vae" / "my-vae")
    lora = safetensors_write(models_dir / "loras" / "watercolor.safetensors", {"w": [8, 8]})

    report = catalog_sync_from_disk()

    assert sorted(report.added) == [
        "checkpoint dreamy.safetensors",
        "checkpoint my-pipeline",
        "lora watercolor",
        "vae my-vae",
    ]
    pipeline = model_get("my-pipeline")
    assert (pipeline.kind, pipeline.format, pipeline.source) == ("checkpoint", "diffusers", Source.LOCAL)
    assert (model_path(pipeline) / "model_index.json").is_file()
    # A single file keeps its suffix in its name, as the engine names it: never the name of a directory.
    dreamy = model_get("dreamy.safetensors")
    assert (dreamy.format, dreamy.size_bytes) == ("single_file", single.stat().st_size)
    assert model_path(dreamy) == single
    assert model_get("my-vae").kind == "vae"
    watercolor = lora_get("watercolor")
    assert lora_path(watercolor) == lora and watercolor.size_bytes == lora.stat().st_size
    assert not watercolor.is_demo and watercolor.trigger_words == []


def test_demo_model_and_loras_are_flagged_as_demo(models_dir, test_catalog):
    _demo_layout(models_dir)

    catalog_sync_from_disk()

    # The demo model ships as a diffusers directory and as a single file: two entries, both demo.
    demo = model_get("seidra-tiny-sdxl")
    assert (demo.is_demo, demo.source, demo.format) == (True, Source.DEMO, "diffusers")
    single = model_get("seidra-tiny-sdxl.safetensors")
    assert (single.is_demo, single.source, single.format) == (True, Source.DEMO, "single_file")
    assert InstalledModel.objects.count() == 2
    assert set(InstalledLora.objects.filter(is_demo=True).values_list("name", flat=True)) == {
        "seidra-tiny-lora",
        "seidra-tiny-lora-b",
    }


def test_sync_is_idempotent_then_follows_changes_and_removals(models_dir, test_catalog):
    _demo_layout(models_dir)
    lora = safetensors_write(models_dir / "loras" / "grainy.safetensors", {"w": [4, 4]})
    catalog_sync_from_disk()
    first = {row.name: row.updated for row in InstalledLora.objects.all()}

    again = catalog_sync_from_disk()
    assert not again.changed
    assert {row.name: row.updated for row in InstalledLora.objects.all()} == first

    safetensors_write(lora, {"w": [64, 64]})  # a new version of the file, larger
    (models_dir / "loras" / "seidra-tiny-lora-b.safetensors").unlink()
    report = catalog_sync_from_disk()

    assert report.updated == ["lora grainy"] and report.removed == ["lora seidra-tiny-lora-b"]
    assert lora_get("grainy").size_bytes == lora.stat().st_size
    with pytest.raises(SeidraError, match="No LoRA named 'seidra-tiny-lora-b'"):
        lora_get("seidra-tiny-lora-b")


def test_a_host_holding_no_model_files_keeps_the_shared_catalog(models_dir, test_catalog, settings, tmp_path):
    """Several hosts share one catalog and the models live on the worker hosts: a sync run on the web
    host, whose models folder is empty, must not wipe the rows the workers use."""
    _demo_layout(models_dir)
    catalog_sync_from_disk()
    settings.SEIDRA_MODELS_DIR = tmp_path / "web-host-models"  # a host without models

    report = catalog_sync_from_disk()

    assert not report.changed
    assert any("No model or LoRA files on this host" in note for note in report.notes)
    assert model_get("seidra-tiny-sdxl").is_demo and lora_get("seidra-tiny-lora-b")


def test_a_lora_named_like_a_catalog_entry_gets_its_trigger_words_weight_and_licence(models_dir, test_catalog):
    safetensors_write(models_dir / "loras" / "ink-wash.safetensors")
    catalog_sync_from_disk()

    lora = lora_get("ink-wash")
    assert lora.trigger_words == ["ink wash", "sumi-e"]
    assert (lora.default_weight, lora.license, lora.source) == (0.6, "Apache-2.0", Source.CATALOG)
    assert lora.repo_id == "seidra-test/ink-wash"

    # Staff edits in the admin survive the next sync.
    lora.trigger_words, lora.default_weight = ["brush"], 0.9
    lora.save()
    catalog_sync_from_disk()
    lora.refresh_from_db()
    assert (lora.trigger_words, lora.default_weight) == (["brush"], 0.9)


def test_unloadable_files_are_left_out_with_a_reason(models_dir, test_catalog):
    (models_dir / "loras").mkdir(parents=True)
    (models_dir / "loras" / "broken.safetensors").write_bytes(b"not a safetensors file")
    (models_dir / "loras" / "notes.txt").write_text("ignored")
    (models_dir / "checkpoints" / "half-copied" / "unet").mkdir(parents=True)
    (models_dir / "loras" / ".partial.safetensors").write_bytes(b"being copied")

    report = catalog_sync_from_disk()

    assert InstalledLora.objects.count() == 0 and InstalledModel.objects.count() == 0
    assert any(note.startswith("loras/broken.safetensors:") for note in report.notes)
    assert any("half-copied" in note and "model_index.json" in note for note in report.notes)
    assert not any(".partial" in note for note in report.notes)
