"""Content-Security-Policy and Permissions-Policy on every response (Django 5.2 has neither).

The policy allows only this site's own files: every script and stylesheet is a static file (htmx and
its extensions from django-htmx's static files, Swagger UI from drf-spectacular-sidecar's), so an
injected <script>, on*= handler or style attribute does not run. A view that needs another policy
sets its own header; this middleware never replaces one.
"""

from collections.abc import Callable

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

from .media_storage import media_storage_origin

# Job previews arrive over the websocket as data: URLs.
_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

# Browser features the site never uses; off, so an injected frame or script cannot ask for them.
# Fullscreen, autoplay and picture-in-picture stay at the browser's default (this site only): the
# job outputs include videos.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def content_security_policy(request: HttpRequest) -> str:
    """The policy for this request: 'self' plus the websocket origin of the host it was addressed to
    (older browsers do not count ws:/wss: as 'self'); with media in a bucket, its origin too for images
    and videos, since the media URLs redirect there (apps.core.media_storage)."""
    policy = _POLICY
    bucket = media_storage_origin()
    if bucket:
        policy = tuple(f"{item} {bucket}" if item.startswith("img-src ") else item for item in policy)
        policy += (f"media-src 'self' {bucket}",)
    connect = "connect-src 'self'"
    try:
        connect += f" {'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    except DisallowedHost:
        pass  # the 400 for a foreign Host header gets the policy without a websocket origin
    return "; ".join((*policy, connect))


def _debug_error_page(response: HttpResponse) -> bool:
    """Django's DEBUG 404 and traceback pages are all inline style and script, and meant for a developer's
    own box, where they must stay readable. Every other DEBUG page keeps the policy, so a violation shows
    up in development."""
    html = response.get("Content-Type", "").startswith("text/html")
    return settings.DEBUG and response.status_code in (404, 500) and html


def _add_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if "Content-Security-Policy" not in response and not _debug_error_page(response):
        response["Content-Security-Policy"] = content_security_policy(request)
    if "Permissions-Policy" not in response:
        response["Permissions-Policy"] = PERMISSIONS_POLICY
    return response


@sync_and_async_middleware
def security_headers_middleware(get_response: Callable) -> Callable:
    """Sync or async like its neighbours, so it adds no thread switch under ASGI."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return _add_headers(request, await get_response(request))

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            return _add_headers(request, get_response(request))

    return middleware
