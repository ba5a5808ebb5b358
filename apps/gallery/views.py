"""Private media files and thumbnails: served to their owner and to staff (moderation); anyone else
gets a 404, as for a media item that does not exist.

Pages send their session; scripts send the same `Authorization: Bearer <token>` as for the API,
so the `url` of a job's outputs works for both. Without valid credentials a browser opening the
link is sent to the login page, and any other client (a script, an <img>) gets the API's 401 JSON.
How the bytes go out (ETag, accel headers) is apps.gallery.serving's.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from apps.accounts.tokens import JwtAuthentication
from apps.core.api_errors import api_error_response
from apps.core.errors import SeidraError

from .selectors import media_get_for_viewing
from .serving import media_file_response, media_thumbnail_response


def _bearer_user(request: HttpRequest):
    try:
        authenticated = JwtAuthentication().authenticate(request)
    except (AuthenticationFailed, InvalidToken, TokenError):
        return None
    return authenticated[0] if authenticated else None


def _is_page_navigation(request: HttpRequest) -> bool:
    """A browser opening the link asks for HTML; scripts (curl sends */*) and <img> requests do not."""
    return "text/html" in request.headers.get("Accept", "")


def _refusal(request: HttpRequest) -> HttpResponse:
    """The answer to a request without valid credentials."""
    if "HTTP_AUTHORIZATION" in request.META:
        message = _("The access token is invalid or expired: get a new one (make token USER=...).")
        return api_error_response(message, status=status.HTTP_401_UNAUTHORIZED, code="token_not_valid")
    if not _is_page_navigation(request):
        # DRF's own words (and translation), as every API endpoint answers without credentials.
        message = str(NotAuthenticated.default_detail)
        return api_error_response(message, status=status.HTTP_401_UNAUTHORIZED, code="not_authenticated")
    return redirect_to_login(request.get_full_path())


def not_found_response(request: HttpRequest, message: str) -> HttpResponse:
    """404 saying why: the error page to a browser, the API's JSON shape to anything else."""
    if _is_page_navigation(request):
        return render(request, "404.html", {"message": message}, status=404)
    return api_error_response(message, status=status.HTTP_404_NOT_FOUND)


def _serve(request: HttpRequest, media_id, respond) -> HttpResponse:
    user = request.user if request.user.is_authenticated else _bearer_user(request)
    if user is None:
        return _refusal(request)
    try:
        return respond(request, media=media_get_for_viewing(user=user, media_id=media_id))
    except SeidraError as error:
        return not_found_response(request, error.message)


@require_safe
def media_file(request: HttpRequest, media_id) -> HttpResponse:
    """GET /media/<id>/file: the original (`?download=1`: as an attachment)."""
    return _serve(request, media_id, media_file_response)


@require_safe
def media_thumbnail(request: HttpRequest, media_id) -> HttpResponse:
    """GET /media/<id>/thumbnail?size=256|768: WebP, made on the first request when missing."""
    return _serve(request, media_id, media_thumbnail_response)
