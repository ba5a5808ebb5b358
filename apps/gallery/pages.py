"""The gallery page (htmx): the grid with its filters and infinite scroll, the lightbox, the selection.

A media item appears in two shapes: a grid cell (`media-cell-<id>`) and the lightbox
(`#lightbox-body`). The lightbox's actions answer with the lightbox again and the cell out of band;
the selection's bulk actions answer with a status line and the affected cells out of band. Without
htmx every action redirects back to the gallery with the same filters.

The filters travel in the query string of every URL here (gallery_filters_from_query reads them),
so the lightbox's left and right keys follow the grid's order with the filters the user chose.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import ParameterError, SeidraError

from .filters import GalleryFilters, gallery_filters_from_query
from .models import Media
from .png_metadata import a1111_parameters
from .selectors import (
    GRID_ORDER,
    GridCursor,
    media_filter_choices,
    media_get_for_user,
    media_get_visible,
    media_grid_page,
    media_list,
    media_neighbours,
    media_selected,
    media_storage_used,
)
from .services import (
    media_bulk_delete,
    media_bulk_favourite_set,
    media_bulk_tag_add,
    media_delete,
    media_favourite_set,
    media_tags_clean,
    media_tags_set,
)
from .zip_download import media_zip_chunks

BULK_ACTIONS = ("favourite", "unfavourite", "tag", "delete")


def _filters(request: HttpRequest) -> GalleryFilters:
    return gallery_filters_from_query(request.GET)


def _gallery_url(filters: GalleryFilters, **extra) -> str:
    query = {**filters.query(), **{key: str(value) for key, value in extra.items() if value}}
    url = reverse("pages:gallery")
    return f"{url}?{urlencode(query)}" if query else url


def _grid_page_context(request: HttpRequest, filters: GalleryFilters, after: GridCursor | None) -> dict:
    page = media_grid_page(user=request.user, filters=filters, after=after, size=settings.SEIDRA_GALLERY_PAGE_SIZE)
    next_query = {**filters.query(), "after": str(page.next_cursor)} if page.next_cursor else None
    return {
        "items": page.items,
        "filter_qs": urlencode(filters.query()),
        "next_grid_url": f"{reverse('gallery:grid')}?{urlencode(next_query)}" if next_query else "",
        "next_page_url": f"{reverse('pages:gallery')}?{urlencode(next_query)}" if next_query else "",
    }


def _lightbox_context(request: HttpRequest, media: Media, filters: GalleryFilters, **extra) -> dict:
    previous, following = media_neighbours(user=request.user, media=media, filters=filters)
    return {
        "media": media,
        "params": media.parameters,
        "a1111_text": a1111_parameters(media.parameters),
        "previous": previous,
        "following": following,
        "filter_qs": urlencode(filters.query()),
        "item_url": _gallery_url(filters, item=media.id),
        "tags_text": ", ".join(media.tags),
        **extra,
    }


def _storage_context(user) -> dict:
    quota_mb = settings.SEIDRA_USER_STORAGE_QUOTA_MB
    used = media_storage_used(owner=user)
    quota = quota_mb * 1024 * 1024 if quota_mb else None
    return {
        "storage_used": used,
        "storage_quota": quota,
        "storage_percent": min(100, round(100 * used / quota)) if quota else None,
    }


@login_required
@require_GET
def gallery_page(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    after = GridCursor.parse(request.GET.get("after"))
    context = {
        **_grid_page_context(request, filters, after),
        **_storage_context(request.user),
        "filters": filters,
        "choices": media_filter_choices(user=request.user),
        "total": media_list(user=request.user, filters=filters).count(),
        "continued": after is not None,
        "grid_url": _gallery_url(filters),
    }
    item_id = request.GET.get("item")
    if item_id:  # a bookmarked or shared view with an item open: the lightbox comes with the page
        try:
            media = media_get_visible(user=request.user, media_id=item_id)
            lightbox = _lightbox_context(request, media, filters)
            context["lightbox_html"] = render_to_string("gallery/_lightbox.html", lightbox, request=request)
        except SeidraError:
            context["item_missing"] = True
    return render(request, "gallery/gallery.html", context)


@login_required
@require_GET
def gallery_grid(request: HttpRequest) -> HttpResponse:
    """The grid's next page (the last cell asks for it when it scrolls into view)."""
    context = _grid_page_context(request, _filters(request), GridCursor.parse(request.GET.get("after")))
    return render(request, "gallery/_grid-page.html", context)


@login_required
@require_GET
def media_lightbox(request: HttpRequest, media_id) -> HttpResponse:
    try:
        media = media_get_visible(user=request.user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error
    return render(request, "gallery/_lightbox.html", _lightbox_context(request, media, _filters(request)))


# --- One item's actions (the lightbox) ------------------------------------------------------------


def _owned_or_404(request: HttpRequest, media_id) -> Media:
    try:
        return media_get_for_user(user=request.user, media_id=media_id)
    except SeidraError as error:
        raise Http404(error.message) from error


def _lightbox_answer(request: HttpRequest, media: Media, *, status: int = 200, **extra) -> HttpResponse:
    filters = _filters(request)
    if not request.htmx:
        return redirect(_gallery_url(filters, item=media.id))
    context = {**_lightbox_context(request, media, filters, **extra), "with_cell": True}
    return render(request, "gallery/_lightbox.html", context, status=status)


@login_required
@require_POST
def media_favourite_view(request: HttpRequest, media_id) -> HttpResponse:
    media = _owned_or_404(request, media_id)
    media = media_favourite_set(media=media, favourite=request.POST.get("favourite") == "1")
    return _lightbox_answer(request, media)


@login_required
@require_POST
def media_tags_view(request: HttpRequest, media_id) -> HttpResponse:
    media = _owned_or_404(request, media_id)
    try:
        media = media_tags_set(media=media, tags=request.POST.get("tags", "").split(","))  # comma-separated
    except ParameterError as error:
        if not request.htmx:
            messages.error(request, error.errors["tags"])
            return redirect(_gallery_url(_filters(request), item=media.id))
        # htmx swaps 2xx answers only: the lightbox again, with the typed tags and the reason.
        return _lightbox_answer(request, media, tags_error=error.errors["tags"], tags_text=request.POST.get("tags", ""))
    return _lightbox_answer(request, media)


@login_required
@require_POST
def media_delete_view(request: HttpRequest, media_id) -> HttpResponse:
    media = _owned_or_404(request, media_id)
    deleted_id = media.id
    media_delete(media=media)
    filters = _filters(request)
    if not request.htmx:
        return redirect(_gallery_url(filters))
    context = {"deleted_ids": [deleted_id], "message": _("Deleted. Its job stays in the jobs table.")}
    return render(request, "gallery/_lightbox-closed.html", context)


# --- The selection --------------------------------------------------------------------------------


def _owned_selection(request: HttpRequest) -> list[Media]:
    data = request.POST if request.method == "POST" else request.GET
    return media_selected(user=request.user, media_ids=[value for value in data.getlist("ids") if value])


def _bulk_message(action: str, count: int, tag: str = "") -> str:
    values = {"count": count, "tag": tag}
    if action == "delete":
        return ngettext("%(count)s item deleted.", "%(count)s items deleted.", count) % values
    if action == "favourite":
        return ngettext("%(count)s item added to favourites.", "%(count)s items added to favourites.", count) % values
    if action == "unfavourite":
        return (
            ngettext("%(count)s item removed from favourites.", "%(count)s items removed from favourites.", count)
            % values
        )
    return ngettext("Tag “%(tag)s” added to %(count)s item.", "Tag “%(tag)s” added to %(count)s items.", count) % values


def _bulk_run(request: HttpRequest, action: str) -> tuple[str, list[Media], list]:
    """Apply the action to the user's selected media: (message, cells to show again, ids deleted)."""
    if action not in BULK_ACTIONS:
        raise SeidraError(_("Unknown action."))
    media = _owned_selection(request)
    if not media:
        raise SeidraError(_("Select at least one of your items first."), status=404)
    ids = [item.id for item in media]
    if action == "delete":
        return _bulk_message(action, media_bulk_delete(owner=request.user, ids=ids)), [], ids
    tag = ""
    if action == "tag":
        tags = media_tags_clean([request.POST.get("tag", "")])
        if not tags:
            raise SeidraError(_("Type the tag to add."))
        tag = tags[0]
        count = media_bulk_tag_add(owner=request.user, ids=ids, tag=tag)
    else:
        count = media_bulk_favourite_set(owner=request.user, ids=ids, favourite=action == "favourite")
    cells = list(Media.objects.filter(pk__in=ids).order_by(*GRID_ORDER))
    return _bulk_message(action, count, tag), cells, []


@login_required
@require_POST
def media_bulk_view(request: HttpRequest) -> HttpResponse:
    """Delete, favourite, unfavourite or tag the selected items (`ids`, `action`, `tag`)."""
    filters = _filters(request)
    error = None
    try:
        message, cells, deleted_ids = _bulk_run(request, request.POST.get("action", ""))
    except ParameterError as problem:
        error = SeidraError(problem.errors.get("tags", str(problem)))
    except SeidraError as problem:
        error = problem
    if error is not None:
        message, cells, deleted_ids = error.message, [], []
        if not request.htmx:
            if error.status == 404:
                raise Http404(error.message)
            messages.error(request, error.message)
            return redirect(_gallery_url(filters))
    elif not request.htmx:
        messages.success(request, message)
        return redirect(_gallery_url(filters))
    # htmx swaps 2xx answers only: a refused action is a 200 whose status line says why.
    context = {"message": message, "error": error is not None, "cells": cells, "deleted_ids": deleted_ids}
    return render(request, "gallery/_bulk-response.html", {**context, "filter_qs": urlencode(filters.query())})


@login_required
@require_http_methods(["GET", "POST"])
def media_zip_view(request: HttpRequest) -> HttpResponse:
    """The selected originals in one ZIP, streamed (apps.gallery.zip_download)."""
    try:
        media = _owned_selection(request)
    except SeidraError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    if not media:
        raise Http404(_("None of the selected items is yours."))
    response = StreamingHttpResponse(media_zip_chunks(media), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="seidra-gallery-{timezone.localtime():%Y%m%d-%H%M%S}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
