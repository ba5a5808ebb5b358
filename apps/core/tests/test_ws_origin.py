"""Websocket handshakes only from the site's own origin (scheme, host and port) or a CSRF_TRUSTED_ORIGINS
entry. Channels' AllowedHostsOriginValidator compared hosts only, so a page on http://127.0.0.1:9999
(another app on an allowed host) could open a socket with the visitor's session."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from apps.accounts.services import access_token_create


@pytest.fixture
def token(user_factory) -> str:
    user_factory("alice")
    return access_token_create(username="alice", hours=1)


def handshake(live_url: str, token: str, origin: str | None) -> int | dict:
    """Through the real daphne: the first message on success, the HTTP status of a refusal."""
    try:
        with connect(
            live_url.replace("http://", "ws://") + "/ws/jobs/",
            origin=origin, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10,
        ) as socket:  # fmt: skip
            return json.loads(socket.recv(timeout=10))
    except InvalidStatus as refused:
        return refused.response.status_code


def test_the_site_own_origin_is_accepted(live_url, token):
    assert handshake(live_url, token, live_url)["type"] == "jobs.snapshot"


@pytest.mark.parametrize(
    "foreign",
    [
        "http://127.0.0.1:9999",  # an allowed host on another port: accepted before
        "https://127.0.0.1:{port}",  # same host and port, other scheme
        "http://localhost:{port}",  # an allowed host, but not the one the page was served from
        "http://evil.example",
        "null",  # sandboxed frames, file:// pages
    ],
)
def test_other_origins_are_refused(live_url, token, foreign):
    port = live_url.rsplit(":", 1)[1]
    assert handshake(live_url, token, foreign.format(port=port)) == 403


def test_a_script_without_origin_is_refused_as_before(live_url, token):
    assert handshake(live_url, token, None) == 403


@sync_to_async
def alice_token(user_factory) -> str:
    user_factory("alice")
    return access_token_create(username="alice", hours=1)


async def in_process(headers: list[tuple[bytes, bytes]], token: str) -> bool:
    from seidra.asgi import application

    bearer = (b"authorization", f"Bearer {token}".encode())
    communicator = WebsocketCommunicator(application, "/ws/jobs/", headers=[*headers, bearer])
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
async def test_a_csrf_trusted_origin_is_accepted(settings, user_factory):
    token = await alice_token(user_factory)
    settings.CSRF_TRUSTED_ORIGINS = ["https://seidra.example.org", "https://*.apps.example.org"]
    host = (b"host", b"127.0.0.1:8000")  # e.g. a proxy that does not pass the public Host on
    assert await in_process([host, (b"origin", b"https://seidra.example.org")], token)
    assert await in_process([host, (b"origin", b"https://seidra.example.org:443")], token)
    assert await in_process([host, (b"origin", b"https://web.apps.example.org")], token)
    assert not await in_process([host, (b"origin", b"http://seidra.example.org")], token)  # scheme
    assert not await in_process([host, (b"origin", b"https://seidra.example.org:8443")], token)  # port
    assert not await in_process([host, (b"origin", b"https://seidra.example.org.evil.example")], token)


@pytest.mark.django_db(transaction=True)
async def test_behind_a_tls_proxy_the_site_origin_is_https(settings, user_factory):
    token = await alice_token(user_factory)
    settings.ALLOWED_HOSTS = ["seidra.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    site = [(b"host", b"seidra.example.org"), (b"origin", b"https://seidra.example.org")]
    assert await in_process([*site, (b"x-forwarded-proto", b"https")], token)
    assert not await in_process(site, token)  # plain ws: the page would have been http://


@pytest.mark.django_db(transaction=True)
async def test_a_host_outside_allowed_hosts_is_refused_even_when_origin_matches(settings, user_factory):
    # DNS rebinding: evil.example resolved to this box; its page and Host agree, ALLOWED_HOSTS does not.
    token = await alice_token(user_factory)
    assert not await in_process([(b"host", b"evil.example:8000"), (b"origin", b"http://evil.example:8000")], token)
    assert await in_process([(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")], token)
