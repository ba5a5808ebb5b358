"""Size and steps a job gets when the request leaves them out: the chosen model's defaults
(apps/catalog/limits.py), in the create form's first values and in the API."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.services import access_token_create
from apps.catalog.models import InstalledModel
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
DEMO = "seidra-tiny-sdxl"
REAL = "sdxl-real"
SUBMIT = "/api/generation/image"


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def real_model(db):
    return InstalledModel.objects.create(name=REAL, kind="checkpoint", format="diffusers", path=REAL)


@pytest.fixture
def page_client(alice) -> Client:
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=alice.username, hours=1)}")
    return client


def input_value(page: str, name: str) -> str:
    return re.search(rf'<input type="number" name="{name}" value="([^"]*)"', page).group(1)


def selected_size(page: str) -> str:
    menu = re.search(r'<select name="size".*?</select>', page, re.S).group()
    return re.search(r'<option value="([^"]+)" selected>', menu).group(1)


@pytest.mark.django_db
def test_the_create_form_starts_on_the_demo_models_small_defaults(page_client, tiny_model):
    page = page_client.get("/create/").content.decode()
    assert (input_value(page, "width"), input_value(page, "height"), input_value(page, "steps")) == ("256", "256", "20")
    assert selected_size(page) == "custom"  # below every SDXL preset: the width and height are shown


@pytest.mark.django_db
def test_the_create_form_starts_on_sdxl_defaults_when_a_real_model_is_the_default(
    page_client, tiny_model, real_model, settings
):
    settings.SEIDRA_DEFAULT_MODEL = REAL
    page = page_client.get("/create/").content.decode()
    assert selected_size(page) == "1024x1024"
    assert input_value(page, "steps") == "30"
    # Each model option carries its defaults, for the page's script to apply when it is chosen.
    demo_option = re.search(rf'<option value="{DEMO}"[^>]*>', page).group()
    assert 'data-default-width="256"' in demo_option and 'data-default-steps="20"' in demo_option
    real_option = re.search(rf'<option value="{REAL}"[^>]*>', page).group()
    assert 'data-default-width="1024"' in real_option and 'data-default-steps="30"' in real_option


@pytest.mark.django_db
def test_the_api_fills_an_omitted_size_and_steps_from_the_chosen_model(api, tiny_model, real_model):
    def submitted(body: dict) -> dict:
        response = api.post(SUBMIT, {"prompt": "a lighthouse at dusk", **body}, format="json")
        assert response.status_code == 201, response.json()
        parameters = response.json()["parameters"]
        return {name: parameters[name] for name in ("model", "width", "height", "steps")}

    assert submitted({}) == {"model": DEMO, "width": 256, "height": 256, "steps": 20}  # the default model
    assert submitted({"model": REAL}) == {"model": REAL, "width": 1024, "height": 1024, "steps": 30}
    # What is given is kept; only what is left out comes from the model.
    assert submitted({"model": REAL, "width": 832, "steps": 12}) == {
        "model": REAL, "width": 832, "height": 1024, "steps": 12,
    }  # fmt: skip
    # An explicit null is not "left out": the field is named as missing.
    response = api.post(SUBMIT, {"prompt": "a lighthouse", "steps": None}, format="json")
    assert response.status_code == 400 and response.json()["errors"]["steps"] == ["This field is required."]


@pytest.mark.django_db
def test_the_api_schema_says_what_an_omitted_size_and_steps_become(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    body = schema["components"]["schemas"]["ImageGenerationRequest"]["properties"]
    assert "default" not in body["width"] and "default" not in body["steps"]  # not one number for every model
    assert "for SDXL checkpoints (omitted: 1024x1024)" in body["width"]["description"]
    assert "for the demo model (omitted: 256x256)" in body["width"]["description"]
    assert "(omitted: 30)" in body["steps"]["description"] and "(omitted: 20)" in body["steps"]["description"]
