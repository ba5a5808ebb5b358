"""Share links: the owner's panel (htmx, under /media/<id>/share) and the public page /s/<token>.

The panel is templates/gallery/_share.html, which the gallery's lightbox includes; it loads its
list from `media_share_panel` and every action answers with the panel again. The public page shows
the image and its prompt, nothing else of the owner; any token that does not name a live link
gets the same 404 page saying the link is no longer valid.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.core.errors import SeidraError
from apps.core.media_storage import media_storage_is_local, presigned_redirect

from .models import Media, MediaKind
from .selectors import media_get_for_user
from .serving import stored_file_response
from .sharing import (
    png_without_text,
    share_link_create,
    share_link_get_for_owner,
    share_link_resolve,
    share_link_revoke,
    share_link_url,
    share_links_active,
    shared_copy_get,
)

# Checked again on every view, so a revoked link stops working at once; no shared cache keeps it.
SHARED_CACHE = "private, no-cache"


def _own_media_or_404(request: HttpRequest, media_id) -> Media:
    try:
        return media_get_for_user(user=request.user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error


def _panel(request: HttpRequest, media: Media, *, error: str = "") -> HttpResponse:
    links = [
        {"link": link, "url": request.build_absolute_uri(share_link_url(link))}
        for link in share_links_active(media=media)
    ]
    if not request.htmx and request.method == "POST":
        return redirect("pages:gallery")  # without htmx: back to the gallery
    return render(request, "gallery/_share-panel.html", {"media": media, "links": links, "error": error})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def media_share_panel(request: HttpRequest, media_id) -> HttpResponse:
    """GET: the media's active links; POST: a new link, then the same list."""
    media = _own_media_or_404(request, media_id)
    if request.method == "POST":
        try:
            share_link_create(media=media, user=request.user)
        except SeidraError as error:  # too many active links
            return _panel(request, media, error=error.message)
    return _panel(request, media)


@login_required
@require_POST
def media_share_revoke(request: HttpRequest, media_id, link_id) -> HttpResponse:
    media = _own_media_or_404(request, media_id)
    try:
        link = share_link_get_for_owner(media=media, link_id=link_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    share_link_revoke(link=link, user=request.user)
    return _panel(request, media)


def _invalid_link_page(request: HttpRequest, error: SeidraError) -> HttpResponse:
    return render(request, "gallery/share-invalid.html", {"message": error.message}, status=404)


@require_safe
def shared_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET /s/<token>: the image and its prompt, for anyone holding a live link."""
    try:
        link = share_link_resolve(token)
    except SeidraError as error:
        return _invalid_link_page(request, error)
    context = {"media": link.media, "token": token, "prompt": (link.media.parameters or {}).get("prompt", "")}
    return render(request, "gallery/shared.html", context)


@require_safe
def shared_file(request: HttpRequest, token: str) -> HttpResponse:
    """GET /s/<token>/file: the shared file; an image without its text chunks (the parameters)."""
    try:
        media = share_link_resolve(token).media
    except SeidraError as error:
        return _invalid_link_page(request, error)
    try:
        if media.kind != MediaKind.IMAGE:
            return stored_file_response(request, media=media, name=media.file.name, cache_control=SHARED_CACHE)
        if not media_storage_is_local():  # the bucket sends the copy without the parameters
            return presigned_redirect(shared_copy_get(media), content_type="image/png")
        with media.file.open("rb") as original:
            data = png_without_text(original.read())
    except (FileNotFoundError, SeidraError):
        raise Http404("The file of this media item is missing on the server.") from None
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = SHARED_CACHE
    return response
