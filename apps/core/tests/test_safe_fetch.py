"""safe_fetch against real HTTP servers on loopback aliases: 127.0.0.2 is let through with
SEIDRA_REFERENCE_FETCH_ALLOW (as a LAN image host would be), 127.0.0.1 stays forbidden."""

import ipaddress
import socket
import ssl

import pytest

from apps.core import safe_fetch as safe_fetch_module
from apps.core.errors import ParameterError
from apps.core.safe_fetch import address_is_public, safe_fetch
from tests.support.image_host import HANG, ImageHost, tls_certificates

BODY = b"\x89PNG pretend image bytes"
FIELD = "reference_image_url"
TOO_LARGE = "The image is too large."


@pytest.fixture
def servers(settings):
    """An allowed image host on 127.0.0.2 and a forbidden one on 127.0.0.1, each recording its requests."""
    settings.SEIDRA_REFERENCE_FETCH_ALLOW = ["127.0.0.2/32"]
    settings.SEIDRA_REFERENCE_FETCH_TIMEOUT = 2.0
    public = ImageHost("127.0.0.2", {"/face.png": (200, {"Content-Type": "image/png"}, BODY)}).start()
    inside = ImageHost("127.0.0.1", {"/secret": (200, {}, b"internal")}).start()
    public.inside, public.inside_server = inside.base, inside
    yield public
    public.stop()
    inside.stop()


def refusal(url: str, max_bytes: int = 1024) -> str:
    with pytest.raises(ParameterError) as caught:
        safe_fetch(url, field=FIELD, max_bytes=max_bytes, too_large=TOO_LARGE)
    assert list(caught.value.errors) == [FIELD]
    return caught.value.errors[FIELD]


def test_an_allowed_host_is_fetched_with_its_host_name(servers):
    assert safe_fetch(f"{servers.base}/face.png", field=FIELD, max_bytes=1024, too_large=TOO_LARGE) == BODY
    assert servers.seen == [("/face.png", servers.base.removeprefix("http://"))]


def test_loopback_is_refused_without_a_request(servers):
    message = refusal(f"{servers.inside}/secret")

    assert "points to a private or local network address (127.0.0.1)" in message
    assert servers.inside_server.seen == []


def test_a_host_name_resolving_to_loopback_is_refused(servers):
    assert "(127.0.0.1)" in refusal(f"http://localhost:{servers.inside_server.port}/secret")
    assert servers.inside_server.seen == []


def test_a_private_address_is_refused_before_any_connection(servers, monkeypatch):
    connections = []
    monkeypatch.setattr(safe_fetch_module.socket, "create_connection", lambda *args, **kw: connections.append(args))

    for url in ("http://10.0.0.1/face.png", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/"):
        assert "private or local network address" in refusal(url)
    assert connections == []


def test_a_redirect_to_loopback_is_refused(servers):
    servers.routes["/jump"] = (302, {"Location": f"{servers.inside}/secret"}, b"")

    assert "(127.0.0.1)" in refusal(f"{servers.base}/jump")
    assert servers.inside_server.seen == []


def test_redirects_are_followed_to_an_allowed_host_at_most_three_times(servers):
    servers.routes["/one"] = (301, {"Location": "/two"}, b"")
    servers.routes["/two"] = (307, {"Location": f"{servers.base}/face.png"}, b"")
    assert safe_fetch(f"{servers.base}/one", field=FIELD, max_bytes=1024, too_large=TOO_LARGE) == BODY

    servers.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    assert refusal(f"{servers.base}/loop") == "The address redirects more than 3 times."
    assert [path for path, _host in servers.seen].count("/loop") == 4


def test_a_body_over_the_cap_is_refused(servers):
    servers.routes["/big.png"] = (200, {}, b"x" * 2048)

    assert refusal(f"{servers.base}/big.png", max_bytes=1024) == TOO_LARGE


def test_an_error_status_is_named(servers):
    assert refusal(f"{servers.base}/nothing-here.png") == "The server answered HTTP 404: check the address."


def test_a_server_that_never_answers_runs_into_the_timeout(servers, settings):
    settings.SEIDRA_REFERENCE_FETCH_TIMEOUT = 0.5
    servers.routes["/slow.png"] = (HANG, {}, b"")

    assert refusal(f"{servers.base}/slow.png") == "The image took more than 0.5 seconds to download."


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.2/face.png", "Use an http:// or https:// address."),
        ("file:///etc/passwd", "Use an http:// or https:// address."),
        ("http:///face.png", "The address has no host name."),
        ("http://user:pass@127.0.0.2/face.png", "Addresses with a user name or password are not fetched."),
        ("http://no-such-host.invalid/face.png", "The host name no-such-host.invalid could not be resolved."),
    ],
)
def test_addresses_that_cannot_be_fetched_say_why(servers, url, message):
    assert refusal(url) == message


def test_a_closed_port_says_the_download_failed(servers):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    assert refusal(f"http://127.0.0.2:{port}/face.png").startswith("The image could not be downloaded")


@pytest.fixture
def https_host(settings, tmp_path, monkeypatch):
    """An https image host on 127.0.0.1 (let through for this test) with a certificate for `localhost`
    signed by a throw-away CA that safe_fetch's TLS context is made to trust; it records the name each
    client asked for in its TLS handshake (SNI)."""
    settings.SEIDRA_REFERENCE_FETCH_ALLOW = ["127.0.0.1/32", "::1/128"]  # wherever `localhost` resolves
    ca, certificate, key = tls_certificates(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(certificate, key)
    names = []
    server_side.sni_callback = lambda _socket, name, _context: names.append(name)
    host = ImageHost("127.0.0.1", {"/face.png": (200, {}, BODY)}, tls=server_side).start()
    host.sni_names = names
    real = ssl.create_default_context

    def trusting_the_test_ca(*args, **kwargs):
        context = real(*args, **kwargs)
        context.load_verify_locations(ca)
        return context

    monkeypatch.setattr(safe_fetch_module.ssl, "create_default_context", trusting_the_test_ca)
    yield host
    host.stop()


def test_https_names_the_host_in_the_handshake_and_checks_the_certificate_against_it(https_host):
    url = f"https://localhost:{https_host.port}/face.png"

    assert safe_fetch(url, field=FIELD, max_bytes=1024, too_large=TOO_LARGE) == BODY
    assert https_host.sni_names == ["localhost"]
    assert https_host.seen == [("/face.png", f"localhost:{https_host.port}")]


def test_https_to_a_name_the_certificate_does_not_cover_is_refused(https_host):
    message = refusal(f"https://127.0.0.1:{https_host.port}/face.png")

    assert message.startswith("The secure connection failed") and https_host.seen == []


def test_https_with_a_certificate_nobody_trusts_is_refused(https_host, monkeypatch):
    monkeypatch.undo()  # the system's trust store only

    message = refusal(f"https://localhost:{https_host.port}/face.png")

    assert message.startswith("The secure connection failed") and https_host.seen == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00:ec2::254", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1",
    ],
)  # fmt: skip
def test_non_public_addresses_are_not_public(settings, address):
    settings.SEIDRA_REFERENCE_FETCH_ALLOW = []
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(settings, address):
    settings.SEIDRA_REFERENCE_FETCH_ALLOW = []
    assert address_is_public(ipaddress.ip_address(address))
