from django.urls import path

from . import pages, share_views, views

app_name = "gallery"

# The gallery page itself (/gallery/) is a navigation section: seidra/page_urls.py.
urlpatterns = [
    path("<uuid:media_id>/file", views.media_file, name="media-file"),
    path("<uuid:media_id>/thumbnail", views.media_thumbnail, name="media-thumbnail"),
    # The gallery page's fragments and actions (apps/gallery/pages.py).
    path("grid", pages.gallery_grid, name="grid"),
    path("<uuid:media_id>/lightbox", pages.media_lightbox, name="lightbox"),
    path("<uuid:media_id>/favourite", pages.media_favourite_view, name="favourite"),
    path("<uuid:media_id>/tags", pages.media_tags_view, name="tags"),
    path("<uuid:media_id>/delete", pages.media_delete_view, name="delete"),
    path("bulk", pages.media_bulk_view, name="bulk"),
    path("zip", pages.media_zip_view, name="zip"),
    # Share links of one media item, for its owner (the lightbox's panel, templates/gallery/_share.html).
    path("<uuid:media_id>/share", share_views.media_share_panel, name="media-share"),
    path("<uuid:media_id>/share/<uuid:link_id>/revoke", share_views.media_share_revoke, name="media-share-revoke"),
]
