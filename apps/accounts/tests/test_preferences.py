"""Preferences: how flagged media are shown, on the account page and through /api/me/preferences."""

import re

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import NsfwDisplay
from tests.support.auth import api_client_for, log_in
from tests.support.openapi import assert_matches_schema, served_schema

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def api(user_factory) -> APIClient:
    return api_client_for(user_factory("alice"))


@pytest.mark.django_db
def test_preferences_are_read_and_replaced_through_the_api(api):
    schema = served_schema()
    answer = api.get("/api/me/preferences")
    assert answer.status_code == 200 and answer.json() == {"nsfw_display": "blur"}  # the default
    assert_matches_schema(schema, "/api/me/preferences", "get", answer)
    changed = api.put("/api/me/preferences", {"nsfw_display": "hide"}, format="json")
    assert changed.status_code == 200 and changed.json() == {"nsfw_display": "hide"}
    assert_matches_schema(schema, "/api/me/preferences", "put", changed)
    assert api.get("/api/me/preferences").json() == {"nsfw_display": "hide"}


@pytest.mark.django_db
def test_a_bad_choice_a_missing_field_or_an_unknown_one_is_a_400_naming_it(api):
    schema = served_schema()
    bad = api.put("/api/me/preferences", {"nsfw_display": "sometimes"}, format="json")
    assert bad.status_code == 400 and "nsfw_display" in bad.json()["errors"]
    assert "nsfw_display" in bad.json()["message"]
    assert_matches_schema(schema, "/api/me/preferences", "put", bad)
    missing = api.put("/api/me/preferences", {}, format="json")
    assert missing.status_code == 400 and "nsfw_display" in missing.json()["errors"]
    unknown = api.put("/api/me/preferences", {"nsfw_display": "show", "theme": "dark"}, format="json")
    assert unknown.status_code == 400 and "theme" in unknown.json()["message"]
    assert api.get("/api/me/preferences").json() == {"nsfw_display": "blur"}  # nothing changed


@pytest.mark.django_db
def test_the_api_needs_credentials():
    assert APIClient().get("/api/me/preferences").status_code == 401
    assert APIClient().put("/api/me/preferences", {"nsfw_display": "show"}, format="json").status_code == 401


@pytest.mark.django_db
def test_the_account_page_shows_and_saves_the_same_choice(client, user_factory):
    user = user_factory("alice")
    assert log_in(client, "alice", PASSWORD)
    home = client.get("/").content.decode()
    assert 'href="/accounts/preferences/"' in home  # in the user menu
    page = client.get("/accounts/preferences/").content.decode()
    assert re.search(r'<input[^>]*value="blur"[^>]*checked', page)  # the current choice (the default)
    assert "Blur them (click to reveal)" in page and "Hide them" in page and "Show them" in page
    saved = client.post("/accounts/preferences/", {"nsfw_display": "show"}, follow=True)
    assert "Preferences saved." in saved.content.decode()
    user.refresh_from_db()
    assert user.nsfw_display == NsfwDisplay.SHOW
    refused = client.post("/accounts/preferences/", {"nsfw_display": "sometimes"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    user.refresh_from_db()
    assert user.nsfw_display == NsfwDisplay.SHOW


@pytest.mark.django_db
def test_the_account_page_needs_a_session(client):
    response = client.get("/accounts/preferences/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
