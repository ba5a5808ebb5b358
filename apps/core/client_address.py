"""The client address of a request: the one rule for every feature that needs it (lockout, metrics)."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR when no proxy is trusted (SEIDRA_TRUSTED_PROXY_COUNT=0); behind N proxies, the Nth
    address from the right of X-Forwarded-For.

    Each proxy appends the address it received the request from, so the N rightmost entries were
    written by our own proxies and anything left of them was sent by the client (forgeable). A request
    that carries fewer entries did not come through the proxies (a local probe, a scrape on the
    loopback): its socket address is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.SEIDRA_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]
