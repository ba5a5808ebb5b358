"""One lockout policy for the login page, the token API and the admin login (django-axes hooks).

Two locks, both counted in axes' AccessAttempt rows in the database:
- an account: AXES_FAILURE_LIMIT failures for one username key from one client address;
- an address: SEIDRA_LOGIN_ADDRESS_LIMIT failures from one client address, whatever the usernames,
  so guessing across many accounts ends before a password hash is computed for each guess.
The database, not the cache, holds the counts: the cache is per process (LocMemCache) and
several web processes would each count separately; the database is shared by all of them
and axes writes these rows anyway, so the address limit costs one read per login.
"""

import enum
import math

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from apps.core import metrics

from .selectors import login_failures_from_address
from .usernames import username_key


class LoginRefusal(enum.StrEnum):
    """Why a login is refused; the value is the `code` API clients read."""

    ACCOUNT = "locked_out"
    ADDRESS = "address_locked_out"


def username_from_request(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username key that failures are counted against.

    The page form names the field `login` (allauth), the API and the admin `username`."""
    credentials = credentials or {}
    raw = None
    for key in ("username", "login"):
        if credentials.get(key):
            raw = credentials[key]
            break
    if raw is None:
        data = getattr(request, "data", None) or request.POST
        raw = data.get("login") or data.get("username")
    return username_key(raw) if isinstance(raw, str) else None


def address_locked_out(request: HttpRequest) -> bool:
    """True once the request's client address has SEIDRA_LOGIN_ADDRESS_LIMIT failures within the
    cool-off period (0 turns the address limit off). Needs axes' request attributes."""
    limit = settings.SEIDRA_LOGIN_ADDRESS_LIMIT
    address = request.axes_ip_address
    if limit <= 0 or not address:
        return False
    return login_failures_from_address(address=address, since=get_cool_off_threshold(request)) >= limit


def login_refusal_set(request: HttpRequest, refusal: LoginRefusal) -> None:
    request.seidra_login_refusal = refusal
    request.axes_locked_out = True  # AxesMiddleware (pages) and TokenObtainApi answer 429


def login_refusal(request: HttpRequest) -> LoginRefusal:
    # Axes flags the request itself when a failure just reached the account limit.
    return getattr(request, "seidra_login_refusal", LoginRefusal.ACCOUNT)


def lockout_seconds(request: HttpRequest | None = None) -> int:
    """How long a lock lasts from now. Every refused attempt is recorded as a failure and restarts
    the cool-off period of both locks, so this is the full period (the Retry-After value)."""
    return int(get_cool_off(request).total_seconds())


def lockout_message(refusal: LoginRefusal, seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if refusal == LoginRefusal.ADDRESS:
        text = ngettext(
            "Too many failed login attempts from your network address. Try again in %(minutes)d minute.",
            "Too many failed login attempts from your network address. Try again in %(minutes)d minutes.",
            minutes,
        )
    else:
        text = ngettext(
            "Too many failed login attempts for this account. "
            "Try again in %(minutes)d minute or ask an administrator to unlock it.",
            "Too many failed login attempts for this account. "
            "Try again in %(minutes)d minutes or ask an administrator to unlock it.",
            minutes,
        )
    return text % {"minutes": minutes}


def lockout_payload(request: HttpRequest) -> tuple[dict, int]:
    """The JSON body of a 429 in the project's error shape, and its Retry-After seconds."""
    metrics.login_lockouts.inc()  # one per 429: every login a lock refuses, account or address, on any surface
    refusal, seconds = login_refusal(request), lockout_seconds(request)
    message = lockout_message(refusal, seconds)
    return {"detail": message, "message": message, "code": refusal.value}, seconds


def lockout_response(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE (page and admin login; the token API raises LoginRefused instead).
    Axes calls it with (request, response, credentials) or (request, credentials): neither is needed."""
    payload, seconds = lockout_payload(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(payload, status=429)
    else:
        response = render(request, "account/lockout.html", {"message": payload["message"]}, status=429)
    response["Retry-After"] = str(seconds)
    return response
