from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("<uuid:media_id>/file", views.media_file, name="media-file"),
    path("<uuid:media_id>/thumbnail", views.media_thumbnail, name="media-thumbnail"),
]
