"""The Models page and GET /api/models name the demo model as random weights."""

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from apps.catalog.services import catalog_sync_from_disk
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def demo_installed(settings, tmp_path):
    """The demo model's real layout, written by the engine's own builder."""
    from workers.engines.sdxl.tiny_model import save_tiny_model

    settings.SEIDRA_MODELS_DIR = tmp_path
    save_tiny_model(tmp_path)
    catalog_sync_from_disk()
    return tmp_path


@pytest.mark.django_db
def test_models_page_names_the_demo_model_as_noise(user_factory, demo_installed):
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    page = client.get("/models/").content.decode()
    assert "seidra-tiny-sdxl" in page
    assert "Demo model with random weights: its images are noise." in page
    assert "seidra-tiny-lora-b" in page
    assert 'data-testid="model-seidra-tiny-sdxl"' in page and "default" in page


@pytest.mark.django_db
def test_models_page_empty_state_says_how_to_install(user_factory, settings, tmp_path):
    settings.SEIDRA_MODELS_DIR = tmp_path
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    page = client.get("/models/").content.decode()
    assert "No checkpoint is installed" in page and "make models" in page


@pytest.mark.django_db
def test_models_api_lists_the_demo_model_with_its_note(api_client, user_factory, demo_installed):
    assert api_client.get("/api/models").status_code == 401
    user = user_factory("alice", PASSWORD)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    body = api_client.get("/api/models").json()
    assert body["default_model"] == "seidra-tiny-sdxl"
    demo = next(model for model in body["models"] if model["name"] == "seidra-tiny-sdxl")
    assert demo["is_demo"] is True and "random weights" in demo["note"]
    assert {lora["name"] for lora in body["loras"]} == {"seidra-tiny-lora", "seidra-tiny-lora-b"}
