from django.urls import path

from . import share_views, views

app_name = "gallery"

urlpatterns = [
    path("<uuid:media_id>/file", views.media_file, name="media-file"),
    path("<uuid:media_id>/thumbnail", views.media_thumbnail, name="media-thumbnail"),
    # Share links of one media item, for its owner (the lightbox's panel, templates/gallery/_share.html).
    path("<uuid:media_id>/share", share_views.media_share_panel, name="media-share"),
    path("<uuid:media_id>/share/<uuid:link_id>/revoke", share_views.media_share_revoke, name="media-share-revoke"),
]
