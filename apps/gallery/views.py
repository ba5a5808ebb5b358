"""Private media files: served to their owner only (another user's file is a 404, not a 403)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from apps.core.errors import SeidraError

from .selectors import media_get_for_user


@login_required
def media_file(request: HttpRequest, media_id) -> FileResponse:
    try:
        media = media_get_for_user(user=request.user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    try:
        handle = media.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file of this image is missing on the server.") from error
    response = FileResponse(handle, content_type="image/png" if media.kind == "image" else None)
    response["Cache-Control"] = "private, max-age=86400"
    return response
