"""ComfyUI on /api/health, the Models page and /api/models: each server's state, its models and
LoRAs with their engine and servers, the workflow templates, the staff refresh, empty states."""

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from apps.catalog.models import Engine, InstalledLora, InstalledModel, LoraKeyFormat, Source, WorkflowTemplate
from apps.catalog.services import catalog_sync_from_disk
from tests.support.auth import log_in
from tests.support.openapi import assert_matches_schema, served_schema

from .comfyui_support import closed_port_url

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"
IGNORED = "ComfyUI ignores this LoRA (diffusers/PEFT keys): convert it to kohya format"
WORKFLOW = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
}


@pytest.fixture
def dead_server(settings):
    url = closed_port_url()
    settings.SEIDRA_COMFYUI_URLS = [url]
    return url


@pytest.fixture
def comfyui_rows(dead_server):
    InstalledModel.objects.create(
        name="sdxl-remote.safetensors", kind="checkpoint", format="single_file", path="sdxl-remote.safetensors",
        engine=Engine.COMFYUI, source=Source.COMFYUI, servers=[dead_server],
    )  # fmt: skip
    InstalledLora.objects.create(
        name="peft-style.safetensors", path="peft-style.safetensors", engine=Engine.COMFYUI, source=Source.COMFYUI,
        servers=[dead_server], key_format=LoraKeyFormat.DIFFUSERS,
    )  # fmt: skip
    WorkflowTemplate.objects.create(name="portrait-flow", description="Two-pass portrait", workflow=WORKFLOW,
                                    inputs={"prompt": {"node": "6", "input": "text"}})  # fmt: skip
    WorkflowTemplate.objects.create(name="draft-flow", workflow=WORKFLOW, enabled=False,
                                    inputs={"prompt": {"node": "6", "input": "text"}})  # fmt: skip
    return dead_server


def test_health_reports_a_dead_comfyui_server_without_failing(api_client, dead_server):
    response = api_client.get("/api/health")

    assert response.status_code == 200  # an optional engine down: the site still works
    body = response.json()
    assert body["status"] != "error"
    [server] = body["comfyui"]
    assert server["url"] == dead_server and server["status"] == "error"
    assert dead_server in server["reason"] and "unreachable" in server["reason"]
    assert server["devices"] == [] and server["queue"] is None


def test_health_lists_no_comfyui_server_when_none_is_configured(api_client, settings):
    settings.SEIDRA_COMFYUI_URLS = []
    assert api_client.get("/api/health").json()["comfyui"] == []


def test_models_page_shows_comfyui_models_loras_templates_and_server_state(user_factory, comfyui_rows):
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)

    page = client.get("/models/").content.decode()

    assert 'data-testid="model-sdxl-remote.safetensors"' in page
    assert f"On: {comfyui_rows}" in page
    assert 'data-testid="lora-peft-style.safetensors"' in page and IGNORED in page
    assert 'data-testid="template-portrait-flow"' in page and "Two-pass portrait" in page
    assert "draft-flow" not in page  # disabled templates are not offered
    assert comfyui_rows in page and "unreachable" in page
    assert "Refresh ComfyUI models" not in page  # staff only


def test_models_page_says_how_to_configure_comfyui(user_factory, settings, tmp_path):
    settings.SEIDRA_MODELS_DIR = tmp_path
    settings.SEIDRA_COMFYUI_URLS = []
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    page = client.get("/models/").content.decode()
    assert "No ComfyUI server configured: set SEIDRA_COMFYUI_URL" in page
    assert "No workflow template." in page


def test_staff_refresh_button_reports_the_dead_server(user_factory, comfyui_rows):
    client = Client()
    client.force_login(user_factory("boss", is_staff=True))
    assert "Refresh ComfyUI models" in client.get("/models/").content.decode()

    page = client.post("/catalog/comfyui-refresh", follow=True).content.decode()

    assert "0 of 1 servers answered" in page and comfyui_rows in page
    assert InstalledModel.objects.filter(name="sdxl-remote.safetensors").exists()  # kept while down


def test_refresh_is_refused_to_non_staff(user_factory, comfyui_rows):
    client = Client()
    client.force_login(user_factory("alice"))
    assert client.post("/catalog/comfyui-refresh").status_code == 403
    assert client.get("/catalog/comfyui-refresh").status_code == 405


def test_models_api_lists_engines_servers_templates_and_health(
    api_client, user_factory, comfyui_rows, settings, tmp_path
):
    from workers.engines.sdxl.tiny_model import save_tiny_model

    settings.SEIDRA_MODELS_DIR = tmp_path
    save_tiny_model(tmp_path)
    catalog_sync_from_disk()
    user = user_factory("alice", PASSWORD)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")

    response = api_client.get("/api/models")

    assert_matches_schema(served_schema(), "/api/models", "get", response)
    body = response.json()
    models = {model["name"]: model for model in body["models"]}
    assert (models["seidra-tiny-sdxl"]["engine"], models["seidra-tiny-sdxl"]["servers"]) == ("local", [])
    remote = models["sdxl-remote.safetensors"]
    assert (remote["engine"], remote["servers"], remote["source"]) == ("comfyui", [comfyui_rows], "comfyui")
    loras = {lora["name"]: lora for lora in body["loras"]}
    assert loras["peft-style.safetensors"]["note"] == IGNORED
    assert loras["peft-style.safetensors"]["key_format"] == "diffusers"
    assert loras["seidra-tiny-lora"]["engine"] == "local" and loras["seidra-tiny-lora"]["note"] == ""
    assert body["templates"] == [
        {"name": "portrait-flow", "description": "Two-pass portrait", "engine": "comfyui", "fields_mapped": ["prompt"]}
    ]
    [server] = body["comfyui_servers"]
    assert server["url"] == comfyui_rows and server["status"] == "error"


def test_admin_refresh_from_comfyui_reports_each_server(user_factory, comfyui_rows):
    from django.urls import reverse

    client = Client()
    client.force_login(user_factory("boss", is_staff=True, is_superuser=True))
    changelist = client.get(reverse("admin:catalog_installedmodel_changelist")).content.decode()
    assert "Refresh from ComfyUI" in changelist and "sdxl-remote.safetensors" in changelist

    page = client.post(reverse("admin:catalog_installedlora_comfyui_refresh"), follow=True).content.decode()

    assert "0 of 1 servers answered" in page
    assert f"{comfyui_rows[1:]}: unreachable, its entries are kept" in page  # the admin capitalises messages
    assert InstalledLora.objects.filter(name="peft-style.safetensors").exists()
