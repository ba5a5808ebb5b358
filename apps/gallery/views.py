"""Private media files: served to their owner only (another user's file is a 404, not a 403).

Pages send their session; scripts send the same `Authorization: Bearer <token>` as for the API,
so the `url` of a job's outputs works for both. Without valid credentials a browser opening the
link is sent to the login page, and any other client (a script, an <img>) gets the API's 401 JSON.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from apps.core.api_errors import api_error_response
from apps.core.errors import SeidraError

from .selectors import media_get_for_user


def _bearer_user(request: HttpRequest):
    try:
        authenticated = JWTAuthentication().authenticate(request)
    except (AuthenticationFailed, InvalidToken, TokenError):
        return None
    return authenticated[0] if authenticated else None


def _is_page_navigation(request: HttpRequest) -> bool:
    """A browser opening the link asks for HTML; scripts (curl sends */*) and <img> requests do not."""
    return "text/html" in request.headers.get("Accept", "")


def media_file(request: HttpRequest, media_id) -> HttpResponse:
    user = request.user if request.user.is_authenticated else _bearer_user(request)
    if user is None:
        if "HTTP_AUTHORIZATION" in request.META:
            message = _("The access token is invalid or expired: get a new one (make token USER=...).")
            return api_error_response(message, status=status.HTTP_401_UNAUTHORIZED, code="token_not_valid")
        if not _is_page_navigation(request):
            # DRF's own words (and translation), as every API endpoint answers without credentials.
            message = str(NotAuthenticated.default_detail)
            return api_error_response(message, status=status.HTTP_401_UNAUTHORIZED, code="not_authenticated")
        return redirect_to_login(request.get_full_path())
    try:
        media = media_get_for_user(user=user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    try:
        handle = media.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file of this image is missing on the server.") from error
    response = FileResponse(handle, content_type="image/png" if media.kind == "image" else None)
    response["Cache-Control"] = "private, max-age=86400"
    return response


def media_thumbnail(request: HttpRequest, media_id) -> HttpResponse:
    """WebP thumbnail (?size=); until thumbnails exist, the original file."""
    return media_file(request, media_id)
