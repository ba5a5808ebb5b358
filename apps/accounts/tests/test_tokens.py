"""JWT API: obtain, refresh rotation, verify, /api/me, lockout, create_token."""

from datetime import timedelta
from io import StringIO

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


def obtain(api_client, username="alice", password=PASSWORD):
    return api_client.post("/api/auth/token/", {"username": username, "password": password}, format="json")


def me(api_client, token: str | None):
    api_client.credentials(**({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}))
    return api_client.get("/api/me")


@pytest.mark.django_db
def test_no_token_is_401_with_a_json_message(api_client):
    response = me(api_client, None)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "credentials were not provided" in response.json()["message"]


@pytest.mark.django_db
def test_valid_token_returns_the_current_user(api_client, alice):
    access = obtain(api_client).json()["access"]
    response = me(api_client, access)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert "password" not in response.json()


@pytest.mark.django_db
def test_tampered_token_is_401(api_client, alice):
    access = obtain(api_client).json()["access"]
    header, payload, signature = access.split(".")
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert me(api_client, f"{header}.{payload}.{forged_signature}").status_code == 401
    # A token signed with another key (e.g. the seed's published default) is refused too.
    claims = jwt.decode(access, options={"verify_signature": False})
    foreign = jwt.encode(claims, "seidra-secret-key-change-in-production", algorithm="HS256")
    assert me(api_client, foreign).status_code == 401


@pytest.mark.django_db
def test_expired_token_is_401(api_client, alice):
    token = AccessToken.for_user(alice)
    token.set_exp(from_time=timezone.now() - timedelta(hours=2), lifetime=timedelta(hours=1))
    response = me(api_client, str(token))
    assert response.status_code == 401
    assert "expired" in response.json()["message"].lower()


@pytest.mark.django_db
def test_wrong_password_is_401_and_missing_field_is_400_naming_it(api_client, alice):
    wrong = obtain(api_client, password="not-the-password")
    assert wrong.status_code == 401
    assert wrong.json()["message"]
    missing = api_client.post("/api/auth/token/", {"username": "alice"}, format="json")
    assert missing.status_code == 400
    assert "password" in missing.json()["message"]
    assert "password" in missing.json()["errors"]


@pytest.mark.django_db
def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client, alice):
    first = obtain(api_client).json()
    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": first["refresh"]}, format="json")
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh"] != first["refresh"]
    assert me(api_client, second["access"]).status_code == 200

    api_client.credentials()
    reused = api_client.post("/api/auth/token/refresh/", {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert "blacklisted" in reused.json()["message"].lower()
    again = api_client.post("/api/auth/token/refresh/", {"refresh": second["refresh"]}, format="json")
    assert again.status_code == 200


@pytest.mark.django_db
def test_verify_accepts_a_valid_token_and_rejects_a_tampered_one(api_client, alice):
    access = obtain(api_client).json()["access"]
    assert api_client.post("/api/auth/token/verify/", {"token": access}, format="json").status_code == 200
    bad = api_client.post("/api/auth/token/verify/", {"token": access[:-3] + "xyz"}, format="json")
    assert bad.status_code == 401


@pytest.mark.django_db
def test_a_password_change_kills_existing_tokens(api_client, alice):
    tokens = obtain(api_client).json()
    alice.set_password("a-brand-new-passphrase")
    alice.save()
    assert me(api_client, tokens["access"]).status_code == 401
    api_client.credentials()
    assert api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_token_endpoint_locks_out_after_repeated_failures(api_client, alice, user_factory, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert obtain(api_client, password="wrong-guess").status_code == 401
    locked = obtain(api_client, password="wrong-guess")
    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.json()["message"]
    # Even the right password is refused while locked out.
    assert obtain(api_client).status_code == 429
    # Another account is not affected.
    user_factory("bob", "bob-long-passphrase")
    assert obtain(api_client, "bob", "bob-long-passphrase").status_code == 200


@pytest.mark.django_db
def test_login_page_locks_out_after_repeated_failures(alice, settings):
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = browser.post("/accounts/login/", {"login": "alice", "password": "wrong-guess"})
        assert response.status_code == 200  # the form again, with its error
    locked = browser.post("/accounts/login/", {"login": "alice", "password": "wrong-guess"})
    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.content.decode()
    assert not log_in(Client(), "alice", PASSWORD)


@pytest.mark.django_db
def test_create_token_prints_a_working_token_with_the_requested_lifetime(api_client, alice):
    out = StringIO()
    call_command("create_token", "--user", "alice", "--hours", "12", stdout=out)
    token = out.getvalue().strip()
    assert me(api_client, token).json()["username"] == "alice"
    lifetime = jwt.decode(token, options={"verify_signature": False})
    assert abs((lifetime["exp"] - lifetime["iat"]) - 12 * 3600) <= 1


@pytest.mark.django_db
def test_create_token_for_an_unknown_user_fails_clearly(alice):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_token", "--user", "nobody")


# --- Verify and refresh agree with authentication (issue 8, item 6) -----------------------------


def verify(api_client, token: str):
    api_client.credentials()
    return api_client.post("/api/auth/token/verify/", {"token": token}, format="json")


def refresh(api_client, token: str):
    api_client.credentials()
    return api_client.post("/api/auth/token/refresh/", {"refresh": token}, format="json")


def assert_refused(response, code: str, reason: str) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == code
    assert reason in body["message"]
    assert body["detail"]


@pytest.mark.django_db
def test_verify_accepts_a_good_access_and_refresh_token(api_client, alice):
    tokens = obtain(api_client).json()
    assert verify(api_client, tokens["access"]).status_code == 200
    assert verify(api_client, tokens["refresh"]).status_code == 200


@pytest.mark.django_db
def test_a_deleted_users_tokens_are_refused_by_verify_refresh_and_the_api(api_client, alice):
    tokens = obtain(api_client).json()
    alice.delete()
    assert_refused(refresh(api_client, tokens["refresh"]), "user_not_found", "User not found")  # was a 500
    assert_refused(verify(api_client, tokens["access"]), "user_not_found", "User not found")  # was 200
    assert_refused(verify(api_client, tokens["refresh"]), "user_not_found", "User not found")
    assert me(api_client, tokens["access"]).status_code == 401


@pytest.mark.django_db
def test_a_disabled_users_tokens_are_refused_by_verify_refresh_and_the_api(api_client, alice):
    tokens = obtain(api_client).json()
    alice.is_active = False
    alice.save()
    assert_refused(verify(api_client, tokens["access"]), "user_inactive", "User is inactive")
    assert_refused(verify(api_client, tokens["refresh"]), "user_inactive", "User is inactive")
    assert_refused(refresh(api_client, tokens["refresh"]), "user_inactive", "User is inactive")
    assert me(api_client, tokens["access"]).status_code == 401


@pytest.mark.django_db
def test_verify_refuses_tokens_issued_before_a_password_change(api_client, alice):
    tokens = obtain(api_client).json()
    alice.set_password("a-brand-new-passphrase")
    alice.save()
    for token in (tokens["access"], tokens["refresh"]):
        assert_refused(verify(api_client, token), "password_changed", "password has been changed")
    assert me(api_client, tokens["access"]).status_code == 401


@pytest.mark.django_db
def test_verify_refuses_the_tokens_of_a_rotated_default_admin(api_client, settings):
    settings.SEIDRA_DEFAULT_USER_PASSWORD = "violet-harbour-lantern-42"
    call_command("bootstrap_admin", stdout=StringIO(), stderr=StringIO())
    tokens = obtain(api_client, "admin", "violet-harbour-lantern-42").json()
    call_command("rotate_demo_user", stdout=StringIO(), stderr=StringIO())
    assert verify(api_client, tokens["access"]).status_code == 401
    assert verify(api_client, tokens["refresh"]).status_code == 401
    assert refresh(api_client, tokens["refresh"]).status_code == 401


@pytest.mark.django_db
def test_a_refresh_token_used_once_is_refused_by_verify_and_refresh_with_401(api_client, alice):
    first = obtain(api_client).json()
    second = refresh(api_client, first["refresh"]).json()
    assert_refused(verify(api_client, first["refresh"]), "token_not_valid", "blacklisted")  # was a 400
    assert_refused(refresh(api_client, first["refresh"]), "token_not_valid", "blacklisted")
    assert verify(api_client, second["refresh"]).status_code == 200
    assert verify(api_client, second["access"]).status_code == 200


@pytest.mark.django_db
def test_the_token_refusals_are_in_french_for_a_french_client(api_client, alice):
    tokens = obtain(api_client).json()
    alice.delete()
    response = api_client.post(
        "/api/auth/token/verify/", {"token": tokens["access"]}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Utilisateur introuvable."
