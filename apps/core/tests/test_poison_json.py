"""Poison JSON on every API endpoint, the unauthenticated token ones included: a body nested 1,000
deep, and text no database or UTF-8 answer can hold (a lone surrogate, a NUL). A clear 400, never a 500."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.services import access_token_create
from apps.core.parsers import MAX_JSON_DEPTH, json_loads_bounded, json_too_deep

PASSWORD = "a-long-test-passphrase"
DEEP = "[" * 1000 + "]" * 1000
DEPTH_MESSAGE = f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."
JSON = "application/json"


def post_raw(client: APIClient, url: str, body: str):
    # Raw text: DRF's own JSON renderer cannot even encode a lone surrogate to send it.
    return client.generic("POST", url, body.encode("utf-8", "surrogatepass"), content_type=JSON)


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def alice_client(alice) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=alice.username, hours=1)}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/auth/token/refresh/", "/api/auth/token/verify/"])
def test_deeply_nested_json_is_a_400_on_the_token_endpoints(url):
    for body in (DEEP, '{"username": ' + DEEP + ', "password": "x"}'):
        response = post_raw(APIClient(), url, body)
        assert response.status_code == 400, response.content[:200]
        assert response.json()["message"] == DEPTH_MESSAGE


@pytest.mark.django_db
def test_deeply_nested_json_is_a_400_on_the_generation_endpoint(alice_client):
    from apps.jobs.models import Job

    body = '{"prompt": "a fox", "loras": ' + DEEP + "}"
    response = post_raw(alice_client, "/api/generation/image", body)
    assert response.status_code == 400
    assert response.json()["message"] == DEPTH_MESSAGE
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_json_just_within_the_depth_limit_is_parsed_normally(alice_client):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    response = post_raw(alice_client, "/api/generation/image", '{"prompt": "a fox", "loras": ' + nested + "}")
    assert response.status_code == 400  # parsed, then refused by the validator naming the field
    assert "loras" in response.json()["errors"]


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert not json_too_deep('{"prompt": "' + "[" * 500 + '\\" {{{"}')
    assert json_loads_bounded('{"a": "[[[\\"]]]"}') == {"a": '[[["]]]'}
    assert json_too_deep("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/auth/token/", '{"username": "al\\ud800ice", "password": "x"}', "username"),
        ("/api/auth/token/", '{"username": "alice\\u0000", "password": "x"}', "username"),
        ("/api/auth/token/", '{"username": "alice", "password": "pass\\udfffword"}', "password"),
        ("/api/auth/token/refresh/", '{"refresh": "abc\\ud800"}', "refresh"),
        ("/api/auth/token/verify/", '{"token": "abc\\u0000"}', "token"),
    ],
)
def test_text_no_database_can_hold_is_a_400_naming_the_field_on_the_token_endpoints(url, body, field):
    response = post_raw(APIClient(), url, body)
    assert response.status_code == 400, response.content[:300]
    error = response.json()
    assert list(error["errors"]) == [field]
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.django_db
def test_a_form_encoded_body_is_checked_too(alice):
    response = APIClient().post("/api/auth/token/", {"username": "alice\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["message"] == "username: Must not contain NUL characters."
