"""Private media files: served to their owner only (another user's file is a 404, not a 403).

Pages send their session; scripts send the same `Authorization: Bearer <token>` as for the API,
so the `url` of a job's outputs works for both.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from apps.core.errors import SeidraError

from .selectors import media_get_for_user


def _bearer_user(request: HttpRequest):
    try:
        authenticated = JWTAuthentication().authenticate(request)
    except (AuthenticationFailed, InvalidToken, TokenError):
        return None
    return authenticated[0] if authenticated else None


def media_file(request: HttpRequest, media_id) -> HttpResponse:
    user = request.user if request.user.is_authenticated else _bearer_user(request)
    if user is None:
        if "HTTP_AUTHORIZATION" in request.META:
            message = "The access token is invalid or expired: get a new one (make token USER=...)."
            return JsonResponse({"detail": message, "message": message}, status=401)
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
