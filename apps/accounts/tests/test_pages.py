"""Account pages: sign-up closed by default, password change, pages need a session."""

import pytest
from django.test import Client

from apps.accounts.models import User
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"


@pytest.mark.django_db
def test_signup_is_closed_by_default(client):
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode()
    form = {"username": "mallory", "password1": "mallory-passphrase", "password2": "mallory-passphrase"}
    client.post("/accounts/signup/", form)
    assert not User.objects.filter(username="mallory").exists()


@pytest.mark.django_db
def test_signup_opens_with_the_setting(client, settings):
    settings.SEIDRA_ALLOW_SIGNUP = True
    response = client.post(
        "/accounts/signup/",
        {"username": "newcomer", "password1": "newcomer-passphrase-1", "password2": "newcomer-passphrase-1"},
    )
    assert response.status_code == 302
    assert log_in(Client(), "newcomer", "newcomer-passphrase-1")


@pytest.mark.django_db
def test_pages_redirect_anonymous_visitors_to_the_login_page(client):
    for path in ("/", "/jobs/", "/gallery/", "/notifications/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_password_change_keeps_the_session_and_replaces_the_password(user_factory):
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    page = client.get("/accounts/password/change/")
    assert page.status_code == 200 and "SEIDRA" in page.content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert log_in(Client(), "alice", "a-brand-new-passphrase")
    assert not log_in(Client(), "alice", PASSWORD)


@pytest.mark.django_db
def test_a_weak_new_password_is_refused_with_a_form_error(user_factory):
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert log_in(Client(), "alice", PASSWORD)
