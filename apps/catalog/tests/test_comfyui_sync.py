"""ComfyUI checkpoints and LoRAs in the catalog: rows follow what each server lists; an unreachable
server keeps its entries; local entries win; the disk sync leaves ComfyUI rows alone."""

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.comfyui_sync import (
    ComfyRefreshReport,
    ServerListing,
    catalog_comfyui_refresh,
    comfyui_listings_apply,
)
from apps.catalog.models import Engine, InstalledLora, InstalledModel, LoraKeyFormat, Source
from apps.catalog.services import catalog_sync_from_disk
from tests.support.model_files import safetensors_write

from .comfyui_support import closed_port_url

pytestmark = pytest.mark.django_db

A = "http://gpu-a:8188"
B = "http://gpu-b:8188"
DIFFUSERS_KEYS = {"unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight": [4, 8]}
KOHYA_KEYS = {"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight": [4, 8]}


def _apply(urls, answered=None, unreachable=None) -> ComfyRefreshReport:
    report = ComfyRefreshReport(
        answered={url: ServerListing(tuple(ckpts), tuple(loras)) for url, (ckpts, loras) in (answered or {}).items()},
        unreachable=dict(unreachable or {}),
    )
    comfyui_listings_apply(urls=urls, report=report)
    return report


def _servers(name: str) -> list[str]:
    return InstalledModel.objects.get(name=name).servers


def test_each_checkpoint_and_lora_lists_the_servers_that_offer_it(models_dir):
    report = _apply(
        [A, B],
        answered={A: (["sdxl.safetensors", "only-a.safetensors"], ["ink.safetensors"]), B: (["sdxl.safetensors"], [])},
    )

    assert sorted(report.added) == [
        "checkpoint only-a.safetensors",
        "checkpoint sdxl.safetensors",
        "lora ink.safetensors",
    ]
    sdxl = InstalledModel.objects.get(name="sdxl.safetensors")
    assert (sdxl.engine, sdxl.source, sdxl.kind, sdxl.servers) == (Engine.COMFYUI, Source.COMFYUI, "checkpoint", [A, B])
    assert _servers("only-a.safetensors") == [A]
    ink = InstalledLora.objects.get(name="ink.safetensors")
    assert (ink.engine, ink.servers, ink.key_format) == (Engine.COMFYUI, [A], LoraKeyFormat.UNKNOWN)

    # B drops the checkpoint, A goes away entirely: B is taken off, and what only A offered is gone.
    report = _apply([A, B], answered={A: ([], []), B: ([], [])})
    assert sorted(report.removed) == [
        "checkpoint only-a.safetensors",
        "checkpoint sdxl.safetensors",
        "lora ink.safetensors",
    ]
    assert not InstalledModel.objects.filter(engine=Engine.COMFYUI).exists()


def test_an_unreachable_server_keeps_its_entries_and_the_report_says_so(models_dir):
    _apply([A, B], answered={A: (["sdxl.safetensors"], []), B: (["sdxl.safetensors", "b.safetensors"], [])})

    report = _apply([A, B], answered={A: ([], [])}, unreachable={B: f"ComfyUI at {B} is unreachable"})

    # A answered without sdxl: it leaves; B is down: the pool will skip it, its entries stay.
    assert _servers("sdxl.safetensors") == [B]
    assert _servers("b.safetensors") == [B]
    assert report.removed == []
    assert any(B in line and "unreachable" in line for line in report.server_lines())
    assert "1 of 2 servers answered" in report.summary()


def test_a_server_removed_from_the_settings_leaves_every_entry(models_dir):
    _apply([A, B], answered={A: (["sdxl.safetensors"], []), B: (["sdxl.safetensors"], [])})
    _apply([A], answered={A: (["sdxl.safetensors"], [])})
    assert _servers("sdxl.safetensors") == [A]


def test_a_local_entry_of_the_same_name_wins_and_the_report_says_so(models_dir, test_catalog):
    safetensors_write(models_dir / "checkpoints" / "dreamy.safetensors", {"model.diffusion_model.x": [2, 2]})
    catalog_sync_from_disk()

    report = _apply([A], answered={A: (["dreamy.safetensors"], [])})

    dreamy = InstalledModel.objects.get(name="dreamy.safetensors")
    assert (dreamy.engine, dreamy.servers) == (Engine.LOCAL, [])
    assert any("dreamy.safetensors" in note and "local" in note for note in report.notes)


def test_the_disk_sync_keeps_comfyui_rows_and_a_new_local_file_replaces_one(models_dir, test_catalog):
    _apply([A], answered={A: (["remote.safetensors", "dreamy.safetensors"], [])})

    catalog_sync_from_disk()
    assert _servers("remote.safetensors") == [A]

    safetensors_write(models_dir / "checkpoints" / "dreamy.safetensors", {"model.diffusion_model.x": [2, 2]})
    report = catalog_sync_from_disk()
    assert InstalledModel.objects.get(name="dreamy.safetensors").engine == Engine.LOCAL
    assert any("dreamy.safetensors" in note for note in report.notes)


def test_a_comfyui_lora_whose_file_is_also_local_gets_its_key_format(models_dir):
    safetensors_write(models_dir / "loras" / "peft-style.safetensors", DIFFUSERS_KEYS)
    safetensors_write(models_dir / "loras" / "kohya-style.safetensors", KOHYA_KEYS)

    _apply([A], answered={A: ([], ["peft-style.safetensors", "kohya-style.safetensors", "elsewhere.safetensors"])})

    formats = dict(InstalledLora.objects.filter(engine=Engine.COMFYUI).values_list("name", "key_format"))
    assert formats == {
        "peft-style.safetensors": LoraKeyFormat.DIFFUSERS,
        "kohya-style.safetensors": LoraKeyFormat.KOHYA,
        "elsewhere.safetensors": LoraKeyFormat.UNKNOWN,
    }


def test_refresh_against_a_dead_server_keeps_its_entries(models_dir, settings):
    dead = closed_port_url()
    settings.SEIDRA_COMFYUI_URLS = [dead]
    _apply([dead], answered={dead: (["sdxl.safetensors"], [])})

    report = catalog_comfyui_refresh()

    assert report.answered == {}
    assert dead in report.unreachable[dead]  # the client's message names the URL
    assert _servers("sdxl.safetensors") == [dead]


def test_the_command_prints_one_line_per_server_and_fails_when_none_answered(models_dir, settings, capsys):
    settings.SEIDRA_COMFYUI_URLS = []
    with pytest.raises(CommandError, match="SEIDRA_COMFYUI_URL"):
        call_command("comfyui_refresh")

    dead = closed_port_url()
    settings.SEIDRA_COMFYUI_URLS = [dead]
    with pytest.raises(CommandError, match="No ComfyUI server answered"):
        call_command("comfyui_refresh")
    out = capsys.readouterr().out
    assert f"{dead}: unreachable, its entries are kept" in out
