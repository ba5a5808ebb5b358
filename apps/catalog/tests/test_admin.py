"""The admin: models and LoRAs listed, "Sync from disk", and the staff-only "Add a LoRA" form."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.catalog.models import InstalledLora, InstalledModel
from tests.support.model_files import diffusers_pipeline_write, safetensors_write

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_installedlora_add")


@pytest.fixture
def staff_client(user_factory) -> Client:
    client = Client()
    client.force_login(user_factory("boss", is_staff=True, is_superuser=True))
    return client


def _field_errors(html: str, field: str) -> str:
    """The text of the error list rendered in the row of `field` (empty when none)."""
    row = re.search(rf'<div class="form-row errors field-{field}">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", row.group(1)) if row else ""


def test_sync_button_lists_what_is_on_disk(staff_client, models_dir, test_catalog):
    diffusers_pipeline_write(models_dir / "checkpoints" / "seidra-tiny-sdxl")
    page = staff_client.get(reverse("admin:catalog_installedmodel_changelist"))
    assert "Sync from disk" in page.content.decode()

    response = staff_client.post(reverse("admin:catalog_installedmodel_sync"), follow=True)

    assert "Synced from disk: 1 added, 0 updated, 0 removed." in response.content.decode()
    assert InstalledModel.objects.get(name="seidra-tiny-sdxl").is_demo
    assert "seidra-tiny-sdxl" in response.content.decode()


def test_add_lora_from_a_server_file(staff_client, models_dir, test_catalog, tmp_path):
    source = safetensors_write(tmp_path / "Film Grain.safetensors", fill=3)

    response = staff_client.post(ADD_URL, {"origin": "file", "file_path": str(source), "name": "film-grain"})

    lora = InstalledLora.objects.get(name="film-grain")
    assert response.status_code == 302 and response["Location"].endswith(f"/{lora.pk}/change/")
    assert (models_dir / "loras" / "film-grain.safetensors").read_bytes() == source.read_bytes()


def test_a_text_file_is_refused_next_to_the_path_field(staff_client, models_dir, test_catalog, tmp_path):
    text = tmp_path / "readme.txt"
    text.write_text("not a LoRA")

    response = staff_client.post(ADD_URL, {"origin": "file", "file_path": str(text)})

    assert response.status_code == 200
    assert "Only .safetensors LoRA files can be added" in _field_errors(response.content.decode(), "file_path")
    assert InstalledLora.objects.count() == 0


def test_hub_fields_are_checked_before_any_download(staff_client, models_dir, test_catalog):
    response = staff_client.post(ADD_URL, {"origin": "hub", "repo_id": "not a repo id", "filename": ""})
    html = response.content.decode()
    assert "A repository id looks like owner/name." in _field_errors(html, "repo_id")
    assert "Give the name of the .safetensors file" in _field_errors(html, "filename")


def test_an_existing_name_is_refused_next_to_the_name_field(staff_client, models_dir, test_catalog, tmp_path):
    safetensors_write(models_dir / "loras" / "portrait.safetensors", fill=1)
    other = safetensors_write(tmp_path / "other.safetensors", fill=2)

    response = staff_client.post(ADD_URL, {"origin": "file", "file_path": str(other), "name": "portrait"})

    assert "already exists" in _field_errors(response.content.decode(), "name")


def test_the_add_page_is_for_staff_only(user_factory, models_dir):
    client = Client()
    client.force_login(user_factory("visitor"))
    response = client.get(ADD_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_add_page_shows_both_sources_in_french(staff_client, models_dir):
    response = staff_client.get(ADD_URL, headers={"accept-language": "fr"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="file_path"' in html and 'name="repo_id"' in html and 'name="filename"' in html
    assert "Ajouter un LoRA" in html
