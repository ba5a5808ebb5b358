"""Websocket handshakes are accepted from this site's own origin (scheme, host and port) or from an
origin in CSRF_TRUSTED_ORIGINS, the same rule Django's CSRF check applies to forms.

Channels' AllowedHostsOriginValidator compares the Origin's host with ALLOWED_HOSTS only, so a page
served by anything else on an allowed host (http://127.0.0.1:9999, another local app) could open a
socket with the visitor's session cookie. Browsers always send Origin; scripts must send one too
(README, "Live progress over a websocket"), as they had to before.
"""

from urllib.parse import SplitResult, urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

from .request_text import scope_text_problem

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin1")
    return None


def _origin_key(url: SplitResult) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the scheme's default port filled in; None when it is not a web origin."""
    try:
        port = url.port
    except ValueError:
        return None
    if url.scheme not in DEFAULT_PORTS or not url.hostname:
        return None
    return url.scheme, url.hostname, port or DEFAULT_PORTS[url.scheme]


def _is_secure(scope: dict) -> bool:
    """As HttpRequest.is_secure(): the TLS-terminating proxy's header when one is configured."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = _header(scope, header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") == "wss"


def _site_origin(scope: dict) -> tuple[str, str, int | None] | None:
    """This site's origin as the handshake addresses it (Host header, ws->http, wss->https), when the
    Host is one of ALLOWED_HOSTS (as Django requires of every HTTP request: no DNS rebinding)."""
    host = _header(scope, b"host")
    if not host:
        return None  # RFC 6455 requires it; ASGI servers pass it through
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]  # Django's own DEBUG default
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, allowed_hosts):
        return None
    return _origin_key(urlsplit(f"{'https' if _is_secure(scope) else 'http'}://{host}"))


def _trusted(origin: str, key: tuple[str, str, int | None]) -> bool:
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        parsed = urlsplit(trusted.lower())
        if "*" in parsed.netloc:
            # https://*.example.org: any subdomain, as CsrfViewMiddleware reads it
            if parsed.scheme == key[0] and is_same_domain(urlsplit(origin).netloc.lower(), parsed.netloc[1:]):
                return True
        elif _origin_key(parsed) == key:
            return True
    return False


def websocket_origin_allowed(scope: dict) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        # Unchanged from AllowedHostsOriginValidator: a handshake without Origin only when every
        # host is allowed.
        return "*" in settings.ALLOWED_HOSTS
    key = _origin_key(urlsplit(origin.strip().lower()))
    if key is None:
        return False  # "null" (sandboxed frames, file://) or garbage
    site = _site_origin(scope)
    return (site is not None and key == site) or _trusted(origin.strip(), key)


class SameOriginValidator:
    """ASGI middleware for the websocket router: refuses the handshake (HTTP 403) from other origins,
    and one whose query string, headers or cookies hold text no database can store (NUL), before the
    session lookup reads them (apps/core/request_text.py)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and (not websocket_origin_allowed(scope) or scope_text_problem(scope)):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
