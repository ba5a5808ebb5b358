"""The prompt blocklist: staff edit it in the admin; a blocked prompt is refused before any job exists,
with a 400 naming `prompt` on the API and a form error on the Create page."""

import html
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.jobs.models import Job
from apps.jobs.tests.test_pages import HTMX, VALID, error_of
from apps.moderation.models import PromptBlock
from apps.moderation.selectors import prompt_blocked_text
from tests.support.auth import api_client_for, log_in
from tests.support.openapi import assert_matches_schema, served_schema

PASSWORD = "a-long-test-passphrase"
QUICK = {"prompt": "a red fox", "model": "seidra-tiny-sdxl", "width": 64, "height": 64, "steps": 4}


@pytest.fixture
def api(user_factory) -> APIClient:
    return api_client_for(user_factory("alice"))


@pytest.mark.django_db
def test_a_word_matches_whole_words_in_any_case_and_a_regex_anywhere():
    PromptBlock.objects.create(pattern="gore")
    PromptBlock.objects.create(pattern=r"blood\w*", is_regex=True)
    assert prompt_blocked_text(prompt="A scene with GORE in it") == "GORE"
    assert prompt_blocked_text(prompt="a gorey pun, gorgeous") is None  # not a whole word
    assert prompt_blocked_text(prompt="Bloodstained walls") == "Bloodstained"
    assert prompt_blocked_text(prompt="a red fox in the snow") is None


@pytest.mark.django_db
def test_the_api_refuses_a_blocked_prompt_with_a_400_naming_prompt(api, tiny_model):
    PromptBlock.objects.create(pattern="gore")
    refused = api.post("/api/generation/image", {**QUICK, "prompt": "a fox, Gore everywhere"}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert list(body["errors"]) == ["prompt"]
    assert "“Gore”" in body["errors"]["prompt"][0] and "blocked" in body["message"]
    assert_matches_schema(served_schema(), "/api/generation/image", "post", refused)
    assert not Job.objects.exists()
    allowed = api.post("/api/generation/image", QUICK, format="json")
    assert allowed.status_code == 201


@pytest.mark.django_db
def test_a_job_whose_prompt_was_blocked_since_cannot_be_retried(api, tiny_model):
    made = api.post("/api/generation/image", {**QUICK, "prompt": "a fox, gore everywhere"}, format="json")
    assert made.status_code == 201
    Job.objects.filter(pk=made.json()["id"]).update(status="FAILED")
    PromptBlock.objects.create(pattern="gore")
    refused = api.post(f"/api/jobs/{made.json()['id']}/retry", {"seed": "new"}, format="json")
    assert refused.status_code == 400 and "“gore”" in refused.json()["message"]
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_the_create_page_shows_the_refusal_next_to_the_prompt(user_factory, tiny_model):
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    PromptBlock.objects.create(pattern=r"\bfox(es)?\b", is_regex=True)
    response = client.post("/create/", {**VALID, "prompt": "two Foxes in the snow"}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“Foxes”, which is blocked on this server" in error_of(page, "prompt")
    assert "two Foxes in the snow" in html.unescape(page)  # what was typed stays
    assert not Job.objects.exists()


@pytest.fixture
def staff_client(user_factory) -> Client:
    user_factory("staff", PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    assert log_in(client, "staff", PASSWORD)
    return client


def _admin_error(page: str) -> str:
    return html.unescape(
        re.sub(r"<[^>]+>", " ", "".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)))
    )


@pytest.mark.django_db
def test_an_invalid_regex_is_refused_in_the_admin_with_a_clear_error(staff_client):
    url = "/admin/moderation/promptblock/add/"
    refused = staff_client.post(url, {"pattern": "blood(", "is_regex": "on", "note": ""})
    assert refused.status_code == 200
    assert "This is not a valid regular expression: missing ), unterminated subpattern" in _admin_error(
        refused.content.decode()
    )
    everything = staff_client.post(url, {"pattern": "x*", "is_regex": "on", "note": ""})
    assert "it would block every prompt" in _admin_error(everything.content.decode())
    assert not PromptBlock.objects.exists()
    # The same text as a word is fine: it is matched literally.
    saved = staff_client.post(url, {"pattern": "blood(", "note": "typo-proof"})
    assert saved.status_code == 302
    block = PromptBlock.objects.get()
    assert block.pattern == "blood(" and not block.is_regex and block.created_by.username == "staff"
    assert prompt_blocked_text(prompt="blood( and more") == "blood("
