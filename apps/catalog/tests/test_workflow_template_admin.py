"""Staff register ComfyUI workflow templates in the admin: uploaded or pasted JSON, the mapping
checked against the workflow on save (each problem listed), names distinct from installed models."""

import html as html_lib
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.catalog.models import InstalledModel, WorkflowTemplate

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_workflowtemplate_add")
WORKFLOW = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "model": ["4", 0]}},
}
MAPPING = {"prompt": {"node": "6", "input": "text"}, "seed": {"node": "3", "input": "seed"}}


@pytest.fixture
def staff_client(user_factory) -> Client:
    client = Client()
    client.force_login(user_factory("boss", is_staff=True, is_superuser=True))
    return client


def _post(client, **fields):
    data = {"name": "portrait-flow", "description": "", "enabled": "on", "workflow": "", "inputs": "{}", **fields}
    return client.post(ADD_URL, data)


def _errors(html: str, field: str) -> str:
    row = re.search(rf'<div class="form-row errors field-{field}">(.*?)</div>\s*</div>', html, re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))) if row else ""


def test_a_pasted_workflow_with_a_valid_mapping_is_saved_by_its_author(staff_client):
    response = _post(staff_client, workflow=json.dumps(WORKFLOW), inputs=json.dumps(MAPPING))

    assert response.status_code == 302
    template = WorkflowTemplate.objects.get(name="portrait-flow")
    assert template.workflow == WORKFLOW and template.inputs == MAPPING
    assert template.created_by.username == "boss"


def test_an_uploaded_workflow_file_is_used(staff_client):
    upload = SimpleUploadedFile("flow.json", json.dumps(WORKFLOW).encode(), content_type="application/json")

    response = _post(staff_client, workflow_file=upload, inputs=json.dumps(MAPPING))

    assert response.status_code == 302
    assert WorkflowTemplate.objects.get(name="portrait-flow").workflow == WORKFLOW


def test_each_problem_of_the_mapping_is_listed(staff_client):
    mapping = {
        "seed": {"node": "3", "input": "noise_seed"},
        "steps": {"node": "99", "input": "steps"},
        "colour": {"node": "3", "input": "seed"},
    }
    html = _post(staff_client, workflow=json.dumps(WORKFLOW), inputs=json.dumps(mapping)).content.decode()

    errors = _errors(html, "inputs")
    assert "Map 'prompt'" in errors
    assert "node 3 (KSampler) has no input 'noise_seed'" in errors
    assert "the workflow has no node 99" in errors
    assert "'colour' is not a SEIDRA field" in errors
    assert not WorkflowTemplate.objects.exists()


def test_a_ui_format_workflow_or_a_file_that_is_not_json_is_refused(staff_client):
    ui_format = {"nodes": [], "links": []}
    html = _post(staff_client, workflow=json.dumps(ui_format), inputs=json.dumps(MAPPING)).content.decode()
    assert "Save (API)" in _errors(html, "inputs")

    upload = SimpleUploadedFile("flow.json", b"{not json", content_type="application/json")
    html = _post(staff_client, workflow_file=upload, inputs=json.dumps(MAPPING)).content.decode()
    assert "The file is not JSON" in _errors(html, "workflow_file")

    html = _post(staff_client, inputs=json.dumps(MAPPING)).content.decode()
    assert "Upload the workflow file or paste its JSON." in _errors(html, "workflow")
    assert not WorkflowTemplate.objects.exists()


def test_a_template_cannot_take_an_installed_models_name(staff_client):
    InstalledModel.objects.create(name="portrait-flow", kind="checkpoint", format="single_file", path="x")

    html = _post(staff_client, workflow=json.dumps(WORKFLOW), inputs=json.dumps(MAPPING)).content.decode()

    assert "An installed model is named 'portrait-flow'" in _errors(html, "name")


def test_templates_are_staff_only(user_factory):
    client = Client()
    client.force_login(user_factory("alice"))
    assert client.get(ADD_URL).status_code == 302  # the admin sends non-staff to its login page
    assert not WorkflowTemplate.objects.exists()
