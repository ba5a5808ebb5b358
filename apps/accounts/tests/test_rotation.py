"""rotate_demo_user: new secret printed once, old password, sessions and tokens dead."""

import logging
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from apps.accounts.models import PasswordOrigin, User
from tests.support.auth import log_in

OLD_PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture
def admin(settings):
    settings.SEIDRA_DEFAULT_USER_PASSWORD = OLD_PASSWORD
    call_command("bootstrap_admin", stdout=StringIO(), stderr=StringIO())
    return User.objects.get(username="admin")


def rotate() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_demo_user", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_printed_secret_works_and_old_password_fails(admin, caplog):
    caplog.set_level(logging.DEBUG)
    out, err = rotate()
    secret = out.strip()
    assert out.count(secret) == 1 and len(secret) >= 20

    assert log_in(Client(), "admin", secret)
    assert not log_in(Client(), "admin", OLD_PASSWORD)
    admin.refresh_from_db()
    assert admin.password_origin == PasswordOrigin.ROTATION
    assert admin.is_active
    # Shown once on stdout, nowhere else: not on stderr, not in any log record.
    assert secret not in err
    assert secret not in caplog.text


@pytest.mark.django_db
def test_each_rotation_gives_a_different_secret(admin):
    assert rotate()[0] != rotate()[0]


@pytest.mark.django_db
def test_rotation_ends_the_users_sessions(admin):
    browser = Client()
    assert log_in(browser, "admin", OLD_PASSWORD)
    assert browser.get("/").status_code == 200
    other_user_browser = Client()
    User.objects.create_user("bob", password="bob-long-passphrase")
    assert log_in(other_user_browser, "bob", "bob-long-passphrase")

    rotate()

    response = browser.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert other_user_browser.get("/").status_code == 200
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_rotation_invalidates_access_and_refresh_tokens(admin, api_client):
    tokens = api_client.post("/api/auth/token/", {"username": "admin", "password": OLD_PASSWORD}, format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/me").status_code == 200

    rotate()

    me = api_client.get("/api/me")
    assert me.status_code == 401
    assert "password" in me.json()["message"].lower()
    api_client.credentials()
    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_rotating_an_unknown_account_fails_with_one_line(manage):
    result = manage("rotate_demo_user")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "run `manage.py bootstrap_admin` first" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_command_prints_only_the_secret_on_stdout(manage):
    User.objects.create_user("admin", password=OLD_PASSWORD, is_staff=True)
    result = manage("rotate_demo_user")
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert len(result.stdout.splitlines()) == 1
    assert secret not in result.stderr
    assert User.objects.get(username="admin").check_password(secret)
