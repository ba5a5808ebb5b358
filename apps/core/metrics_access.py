"""/metrics for the operator's Prometheus only: an allowed address (SEIDRA_METRICS_ALLOW) or the
bearer token (SEIDRA_METRICS_TOKEN). Anyone else gets the site's ordinary 404, so the page's
existence is not revealed."""

import hmac
import ipaddress
from functools import lru_cache

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django_prometheus.exports import ExportToDjangoView

from .client_address import client_address
from .metrics import STATE_REGISTRY

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    # Entries were validated when the settings loaded (seidra/settings/base.py).
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address_allowed(address: str | None) -> bool:
    if not address:
        return False  # a unix socket: no peer address
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False  # a unix socket, an empty or garbled forwarded entry: never allowed
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d
    return any(ip in network for network in _networks(tuple(settings.SEIDRA_METRICS_ALLOW)))


def _token_matches(request: HttpRequest) -> bool:
    expected = settings.SEIDRA_METRICS_TOKEN
    if not expected:
        return False  # token access disabled
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def metrics_access_allowed(request: HttpRequest) -> bool:
    return _address_allowed(client_address(request)) or _token_matches(request)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if metrics_access_allowed(request):
        response = ExportToDjangoView(request)
        # The shared state's gauges, read now from the database and Redis (apps/core/metrics.py).
        response.write(prometheus_client.generate_latest(STATE_REGISTRY))
        return response
    # /metrics is exempt from the HTTPS redirect (production.py), because a Prometheus inside the box
    # scrapes it over plain HTTP, and a redirect would not protect a token anyway: the client has
    # already sent it. A refused request must still look like any unknown path, which would be
    # redirected first, so it gets the same redirect SecurityMiddleware gives those.
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        host = settings.SECURE_SSL_HOST or request.get_host()
        return HttpResponsePermanentRedirect(f"https://{host}{request.get_full_path()}")
    raise Http404
