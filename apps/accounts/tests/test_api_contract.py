"""The token endpoints and /api/me answer what the served OpenAPI schema says, and refuse fields
they do not know: a client generated from the schema can trust it."""

import pytest

from apps.catalog.limits import SIZE_STEP
from tests.support.openapi import assert_matches_schema, served_schema

PASSWORD = "a-long-test-passphrase"
TOKEN_ENDPOINTS = ["/api/auth/token/", "/api/auth/token/refresh/", "/api/auth/token/verify/"]


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


def obtain(api_client, **extra):
    return api_client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD, **extra}, format="json")


@pytest.mark.django_db
def test_me_without_an_email_is_null_and_matches_the_schema(api_client, alice, user_factory):
    document = served_schema()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {obtain(api_client).json()['access']}")
    response = api_client.get("/api/me")
    assert response.status_code == 200 and response.json()["email"] is None
    assert_matches_schema(document, "/api/me", "get", response)

    user_factory("bob", PASSWORD, email="bob@example.org")
    bob_token = api_client.post("/api/auth/token/", {"username": "bob", "password": PASSWORD}, format="json")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {bob_token.json()['access']}")
    response = api_client.get("/api/me")
    assert response.json()["email"] == "bob@example.org"
    assert_matches_schema(document, "/api/me", "get", response)


@pytest.mark.django_db
def test_token_errors_are_documented_and_answer_the_documented_shape(api_client, alice):
    document = served_schema()
    for path in TOKEN_ENDPOINTS:
        assert {"200", "400", "401"} <= set(document["paths"][path]["post"]["responses"]), path
    assert "429" in document["paths"]["/api/auth/token/"]["post"]["responses"]

    wrong = obtain(api_client, password="not-the-password")
    assert wrong.status_code == 401
    assert_matches_schema(document, "/api/auth/token/", "post", wrong)
    missing = api_client.post("/api/auth/token/", {"username": "alice"}, format="json")
    assert missing.status_code == 400
    assert_matches_schema(document, "/api/auth/token/", "post", missing)
    for path, body in (("/api/auth/token/refresh/", {"refresh": "x"}), ("/api/auth/token/verify/", {"token": "x"})):
        bad = api_client.post(path, body, format="json")
        assert bad.status_code == 401, path
        assert_matches_schema(document, path, "post", bad)


@pytest.mark.django_db
def test_the_token_endpoints_refuse_unknown_fields_naming_them(api_client, alice):
    response = obtain(api_client, remember_me=True)
    assert response.status_code == 400
    assert response.json()["errors"] == {"remember_me": ["Unknown field. Known fields: password, username."]}

    refresh = obtain(api_client).json()["refresh"]
    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh, "rotate": False}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["rotate"]
    # Refused before use: the refresh token is still good.
    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json").status_code == 200

    response = api_client.post("/api/auth/token/verify/", {"access": refresh}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"access": ["Unknown field. Known fields: token."]}


@pytest.mark.django_db
def test_the_schema_states_the_size_step_of_width_and_height():
    document = served_schema()
    body = document["components"]["schemas"]["ImageGenerationRequest"]["properties"]
    for name in ("width", "height"):
        assert body[name]["multipleOf"] == SIZE_STEP
        assert f"a multiple of {SIZE_STEP}" in body[name]["description"]
