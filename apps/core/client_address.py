"""The client address of a request: the one answer for lockouts, throttles and access rules.

Behind SEIDRA_TRUSTED_PROXY_COUNT reverse proxies, each proxy appends the address it received the
request from to X-Forwarded-For, so the Nth entry from the right was written by the outermost
trusted proxy: that is the client. Everything left of it may be forged by the client and is never
read. With a count of 0 the header is ignored entirely and the socket's peer (REMOTE_ADDR) is the
client: otherwise anyone could dodge a lockout by sending a new header with each request.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address as a string (None only when the server gave no peer address at all)."""
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.SEIDRA_TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        # The request did not pass through every trusted proxy (or one of them did not add the
        # header): no entry can be trusted, only the peer that actually connected.
        return remote
    # An entry a trusted proxy wrote is an address; anything else means a misconfigured chain.
    return _valid_address(forwarded[-hops]) or remote
