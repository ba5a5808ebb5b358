"""Login lockouts (issue 8, items 1-3): one count per normalised username on every login surface,
the client address taken from the trusted proxy hops only, and a per-address limit.
Every 429 says how long the lock lasts, in its Retry-After header and in its message."""

import pytest
import requests
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

PASSWORD = "a-long-test-passphrase"
WRONG = "not-the-password"


@pytest.fixture
def bob(user_factory):
    return user_factory("bob", PASSWORD, is_staff=True)


def token(api_client, username, password, **meta):
    return api_client.post("/api/auth/token/", {"username": username, "password": password}, format="json", **meta)


def page_login(client, username, password, **meta):
    return client.post("/accounts/login/", {"login": username, "password": password}, **meta)


def admin_login(client, username, password, **meta):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **meta)


def cooloff(settings) -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def assert_account_lock(response, settings, *, api: bool) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(cooloff(settings))
    minutes = cooloff(settings) // 60
    if api:
        body = response.json()
        assert body["code"] == "locked_out"
        assert body["detail"] == body["message"]
        text = body["message"]
    else:
        text = response.content.decode()
    assert "Too many failed login attempts for this account" in text
    assert f"Try again in {minutes} minutes" in text


# --- 1. One count per normalised username ------------------------------------------------------


@pytest.mark.django_db
def test_a_case_variant_logs_in_to_the_same_account_on_every_surface(api_client, bob):
    assert token(api_client, " BOB ", PASSWORD).status_code == 200
    assert page_login(Client(), "Bob", PASSWORD).status_code == 302
    assert admin_login(Client(), "bOb", PASSWORD)["Location"] == "/admin/"


@pytest.mark.django_db
def test_failures_as_bob_lock_out_BOB_on_the_token_api(api_client, bob, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token(api_client, "bob", WRONG).status_code == 401
    assert_account_lock(token(api_client, "bob", WRONG), settings, api=True)
    # Before the fix, each case variant had its own five attempts and the right password won.
    assert_account_lock(token(api_client, "BOB", PASSWORD), settings, api=True)
    assert_account_lock(token(api_client, "Bob ", PASSWORD), settings, api=True)


@pytest.mark.django_db
def test_failures_as_bob_lock_out_BOB_on_the_login_page(bob, settings):
    browser = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page_login(browser, "bob", WRONG)
    assert_account_lock(page_login(browser, "BOB", PASSWORD), settings, api=False)
    assert browser.get("/").status_code == 302  # still not signed in


@pytest.mark.django_db
def test_failures_as_bob_lock_out_BOB_on_the_admin_login(bob, settings):
    browser = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert admin_login(browser, "bob", WRONG).status_code == 200  # the form again
    assert_account_lock(admin_login(browser, "bob", WRONG), settings, api=False)
    locked = admin_login(browser, "BOB", PASSWORD)
    assert_account_lock(locked, settings, api=False)
    assert browser.get("/admin/").status_code == 302  # still not signed in


@pytest.mark.django_db
def test_failures_in_mixed_case_on_mixed_surfaces_share_one_count(api_client, bob, settings):
    settings.AXES_FAILURE_LIMIT = 3
    page_login(Client(), "BOB", WRONG)
    admin_login(Client(), "Bob", WRONG)
    assert_account_lock(token(api_client, " bob", WRONG), settings, api=True)
    assert_account_lock(page_login(Client(), "bob", PASSWORD), settings, api=False)


# --- 2. The client address: trusted proxy hops only ---------------------------------------------


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(api_client, bob, settings):
    settings.SEIDRA_TRUSTED_PROXY_COUNT = 0
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token(api_client, "bob", WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}").status_code == 401
    forged = token(api_client, "bob", WRONG, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert_account_lock(forged, settings, api=True)
    assert_account_lock(token(api_client, "bob", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7"), settings, api=True)
    # The real address is locked, not a forged one.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@pytest.mark.django_db
def test_behind_one_proxy_two_clients_are_counted_apart(api_client, bob, settings):
    settings.SEIDRA_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        # The client may forge the left part; the proxy appends the address it saw, on the right.
        forwarded = f"192.0.2.{attempt}, 203.0.113.5"
        assert token(api_client, "bob", WRONG, HTTP_X_FORWARDED_FOR=forwarded, **proxy).status_code == 401
    assert_account_lock(
        token(api_client, "bob", WRONG, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy), settings, api=True
    )
    locked = token(api_client, "bob", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.5", **proxy)
    assert_account_lock(locked, settings, api=True)
    # Another client behind the same proxy still signs in: before the fix both were the proxy's address.
    assert token(api_client, "bob", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200
    assert page_login(Client(), "bob", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 302


def test_client_address_reads_only_the_trusted_hops(settings):
    from apps.core.client_address import client_address

    def address(count, forwarded=None, remote="10.0.0.2"):
        settings.SEIDRA_TRUSTED_PROXY_COUNT = count
        meta = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_address(RequestFactory().get("/", **meta))

    assert address(0, "203.0.113.5") == "10.0.0.2"
    assert address(1, "198.51.100.1, 203.0.113.5") == "203.0.113.5"
    assert address(2, "198.51.100.1, 203.0.113.5, 10.0.0.1") == "203.0.113.5"
    assert address(1, "2001:db8::1") == "2001:db8::1"
    # Fewer entries than trusted proxies, an empty header or a non-address: only the peer is trusted.
    assert address(2, "203.0.113.5") == "10.0.0.2"
    assert address(1) == "10.0.0.2"
    assert address(1, "not-an-address") == "10.0.0.2"


# --- 3. Per-address limit -----------------------------------------------------------------------


@pytest.mark.django_db
def test_guessing_across_many_usernames_from_one_address_ends_in_429(api_client, user_factory, settings):
    settings.SEIDRA_LOGIN_ADDRESS_LIMIT = 20
    alice = user_factory("alice", PASSWORD)
    statuses = []
    for attempt in range(60):
        response = token(api_client, f"user{attempt % 15}", WRONG)
        statuses.append(response.status_code)
    # 4 failures per username: no account reaches its own limit of 5, the address does.
    assert statuses == [401] * 20 + [429] * 40
    assert response["Retry-After"] == str(cooloff(settings))
    body = response.json()
    assert body["code"] == "address_locked_out"
    assert body["message"] == body["detail"]
    assert "from your network address. Try again in 15 minutes." in body["message"]
    # Refused before the password is checked: the right one does not help from this address...
    assert token(api_client, "alice", PASSWORD).status_code == 429
    alice.refresh_from_db()
    assert alice.last_login is None
    # ...while another address is not affected.
    assert token(api_client, "alice", PASSWORD, REMOTE_ADDR="127.0.0.2").status_code == 200


@pytest.mark.django_db
def test_the_login_page_and_the_admin_share_the_address_limit(user_factory, settings):
    settings.SEIDRA_LOGIN_ADDRESS_LIMIT = 6
    user_factory("alice", PASSWORD)
    for attempt in range(6):
        assert page_login(Client(), f"user{attempt % 3}", WRONG).status_code == 200
    for response in (page_login(Client(), "alice", PASSWORD), admin_login(Client(), "alice", PASSWORD)):
        assert response.status_code == 429
        assert response["Retry-After"] == str(cooloff(settings))
        page = response.content.decode()
        assert "Too many failed login attempts from your network address. Try again in 15 minutes." in page
    assert page_login(Client(), "alice", PASSWORD, REMOTE_ADDR="127.0.0.2").status_code == 302


@pytest.mark.django_db
def test_the_address_limit_can_be_turned_off(api_client, settings):
    settings.SEIDRA_LOGIN_ADDRESS_LIMIT = 3
    assert [token(api_client, f"user{attempt}", WRONG).status_code for attempt in range(4)] == [401] * 3 + [429]
    settings.SEIDRA_LOGIN_ADDRESS_LIMIT = 0
    assert token(api_client, "user9", WRONG).status_code == 401


@pytest.mark.django_db
def test_the_lock_message_is_in_french_for_a_french_visitor(api_client, bob, settings):
    settings.AXES_FAILURE_LIMIT = 1
    response = token(api_client, "bob", WRONG, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    assert "Réessayez dans 15 minutes" in response.json()["message"]


def test_through_daphne_a_case_variant_stays_locked_on_the_api_and_the_page(live_url, user_factory):
    """The real server (ASGI: axes' middleware takes its async path there), its default settings."""
    user_factory("bob", PASSWORD)
    for _attempt in range(5):
        requests.post(f"{live_url}/api/auth/token/", json={"username": "bob", "password": WRONG}, timeout=30)
    api = requests.post(f"{live_url}/api/auth/token/", json={"username": "BOB", "password": PASSWORD}, timeout=30)
    assert api.status_code == 429
    assert api.headers["Retry-After"] == "900"
    assert "Try again in 15 minutes" in api.json()["message"]

    browser = requests.Session()
    browser.get(f"{live_url}/accounts/login/", timeout=30)
    form = {"login": "Bob", "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    page = browser.post(f"{live_url}/accounts/login/", data=form, allow_redirects=False, timeout=30)
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "900"
    assert "Try again in 15 minutes" in page.text
