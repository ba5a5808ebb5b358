"""django-axes hooks: one lockout policy for the login page and the token API."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def username_from_request(request: HttpRequest, credentials: dict | None) -> str | None:
    """The page form names the field `login` (allauth), the API `username` (simplejwt)."""
    credentials = credentials or {}
    for key in ("username", "login"):
        if credentials.get(key):
            return credentials[key]
    data = getattr(request, "data", None) or request.POST
    return data.get("login") or data.get("username")


def lockout_message() -> str:
    return _("Too many failed login attempts. Try again later or ask an administrator to unlock the account.")


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message(), "code": "locked_out"}, status=429)
    return render(request, "account/lockout.html", {"message": lockout_message()}, status=429)
