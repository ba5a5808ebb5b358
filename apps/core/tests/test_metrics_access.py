"""/metrics answers Prometheus only: an allowed address (default loopback) or the bearer token; anyone
else gets the site's ordinary 404 (or, over plain HTTP with the HTTPS redirect on, the redirect every
other path gets), so nothing tells them the page exists."""

import re
import urllib.request

import pytest
from django.test import Client, RequestFactory

from apps.core.client_address import client_address
from tests.support.metrics import sample_value

OUTSIDE = "203.0.113.7"
TOKEN = "scrape-token-0123456789abcdef"


def metrics(remote_addr: str = "127.0.0.1", **headers):
    return Client().get("/metrics", REMOTE_ADDR=remote_addr, **headers)


def same_page(a: bytes, b: bytes) -> bool:
    def without_tokens(page: bytes) -> bytes:
        return re.sub(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', rb"\1", page)

    return without_tokens(a) == without_tokens(b)


def looks_like_metrics(response) -> bool:
    return response.status_code == 200 and b"django_http_requests_total_by_method" in response.content


def test_loopback_through_the_real_server_gets_the_metrics(live_url):
    with urllib.request.urlopen(f"{live_url}/metrics", timeout=10) as response:
        assert response.status == 200
        page = response.read()
    assert b"django_http_requests_total_by_method" in page
    # The project's metrics too, with the shared state read from the database and Redis at the scrape.
    text = page.decode()
    assert sample_value(text, "seidra_queue_depth", queue="gpu") == 0
    assert sample_value(text, "seidra_workers_alive", queue="gpu") == 0
    assert sample_value(text, "seidra_login_failures_total") is not None


@pytest.mark.django_db
def test_another_address_gets_the_ordinary_404_page():
    refused = metrics(OUTSIDE)
    unknown = Client().get("/no-such-page", REMOTE_ADDR=OUTSIDE)
    assert refused.status_code == unknown.status_code == 404
    assert b"django_http" not in refused.content
    # The same page as a path that does not exist (the CSRF token and the page's own path aside).
    assert same_page(refused.content.replace(b"/metrics", b"/no-such-page"), unknown.content)


@pytest.mark.django_db
def test_ipv6_loopback_and_configured_networks_are_allowed(settings):
    assert looks_like_metrics(metrics("::1"))
    assert looks_like_metrics(metrics("::ffff:127.0.0.1"))  # IPv4 client on a dual-stack socket
    settings.SEIDRA_METRICS_ALLOW = ["10.0.0.0/8", "2001:db8::/32"]
    assert looks_like_metrics(metrics("10.20.30.40"))
    assert looks_like_metrics(metrics("2001:db8::5"))
    assert metrics("127.0.0.1").status_code == 404  # loopback is only a default


@pytest.mark.django_db
def test_the_right_token_from_elsewhere_gets_the_metrics_and_a_wrong_one_404(settings):
    settings.SEIDRA_METRICS_TOKEN = TOKEN
    answer = metrics(OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert looks_like_metrics(answer)
    assert b"seidra_queue_depth" in answer.content and b"seidra_jobs_running" in answer.content
    assert b"seidra_" not in metrics(OUTSIDE).content
    assert metrics(OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 404
    assert metrics(OUTSIDE, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert metrics(OUTSIDE, HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 404
    assert metrics(OUTSIDE).status_code == 404


@pytest.mark.django_db
def test_no_token_configured_means_no_token_access(settings):
    settings.SEIDRA_METRICS_TOKEN = ""
    assert metrics(OUTSIDE, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert metrics(OUTSIDE, HTTP_AUTHORIZATION="Bearer").status_code == 404


@pytest.mark.django_db
def test_behind_a_proxy_the_forwarded_client_counts_not_the_proxy(settings):
    settings.SEIDRA_TRUSTED_PROXY_COUNT = 1
    # The proxy on the loopback forwards an outside client: refused, though the socket is loopback.
    assert metrics("127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE).status_code == 404
    # A client that writes 127.0.0.1 into the header itself: the proxy appends the real address.
    assert metrics("127.0.0.1", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {OUTSIDE}").status_code == 404
    # Prometheus on the box, straight to the web process: no header, the socket address counts.
    assert looks_like_metrics(metrics("127.0.0.1"))


@pytest.mark.django_db
def test_without_a_proxy_a_forged_forwarded_header_is_ignored(settings):
    settings.SEIDRA_TRUSTED_PROXY_COUNT = 0
    assert metrics(OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_with_the_https_redirect_on_a_refused_request_is_redirected_like_any_path(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^metrics$"]  # as seidra/settings/production.py
    # Prometheus beside the web process scrapes over plain HTTP: exempt from the redirect.
    assert looks_like_metrics(metrics("127.0.0.1"))
    refused = metrics(OUTSIDE)
    unknown = Client().get("/no-such-page", REMOTE_ADDR=OUTSIDE)
    assert (refused.status_code, unknown.status_code) == (301, 301)
    assert refused["Location"] == "https://testserver/metrics"
    assert metrics(OUTSIDE, secure=True).status_code == 404


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "192.0.2.10"),  # no proxy trusted: the header is the client's word
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "10.9.9.9, 198.51.100.1", "198.51.100.1"),  # the left entry was written by the client
        (2, "10.9.9.9, 198.51.100.1, 172.16.0.2", "198.51.100.1"),
        (2, "198.51.100.1", "192.0.2.10"),  # fewer hops than proxies: not through them
        (1, "", "192.0.2.10"),
    ],
)
def test_client_address_honours_the_trusted_proxy_count(settings, count, forwarded, expected):
    settings.SEIDRA_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_bad_allow_list_entry_stops_the_start_with_a_clear_message(manage):
    result = manage("check", env={"SEIDRA_METRICS_ALLOW": "127.0.0.1/8,not-an-address"})
    assert result.returncode != 0
    assert "SEIDRA_METRICS_ALLOW: 'not-an-address' is not an IP address or network" in result.stderr
