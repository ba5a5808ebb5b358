"""The catalog against a real ComfyUI server (the session's comfyui_server; skipped unless
SEIDRA_TEST_COMFYUI_DIR is set, as .ci/run does): its checkpoint and LoRA are listed with their
server, a dead second server is reported and skipped, and the health says what the server runs."""

import pytest

from apps.catalog.comfyui_health import comfyui_health
from apps.catalog.comfyui_sync import catalog_comfyui_refresh
from apps.catalog.models import Engine, InstalledLora, InstalledModel, LoraKeyFormat, Source

from .comfyui_support import closed_port_url

pytestmark = pytest.mark.django_db


def test_refresh_lists_the_servers_checkpoint_and_lora_and_reports_the_dead_one(comfyui_server, models_dir, settings):
    dead = closed_port_url()
    settings.SEIDRA_COMFYUI_URLS = [comfyui_server.url, dead]
    # The LoRA's file is also here (same name under loras/): its keys are read, kohya as ComfyUI needs.
    (models_dir / "loras").mkdir(parents=True)
    (models_dir / "loras" / comfyui_server.lora).symlink_to(
        comfyui_server.base_directory / "models" / "loras" / comfyui_server.lora
    )

    report = catalog_comfyui_refresh()

    assert list(report.answered) == [comfyui_server.url]
    assert dead in report.unreachable[dead]
    model = InstalledModel.objects.get(name=comfyui_server.checkpoint)
    assert (model.engine, model.source, model.servers) == (Engine.COMFYUI, Source.COMFYUI, [comfyui_server.url])
    lora = InstalledLora.objects.get(name=comfyui_server.lora)
    assert (lora.engine, lora.servers, lora.key_format) == (Engine.COMFYUI, [comfyui_server.url], LoraKeyFormat.KOHYA)

    live, down = comfyui_health()
    assert live["url"] == comfyui_server.url and live["status"] == "ok", live
    assert live["version"]  # e.g. 0.3.64
    assert live["devices"] and live["devices"][0]["type"] == "cpu"
    assert set(live["queue"]) == {"running", "pending"}
    assert down["url"] == dead and down["status"] == "error"
