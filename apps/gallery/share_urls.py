"""Public share-link URLs (/s/...): no account needed, the signed token is the key."""

from django.urls import path

from . import share_views

app_name = "share"

urlpatterns = [
    path("<str:token>", share_views.shared_page, name="page"),
    path("<str:token>/file", share_views.shared_file, name="file"),
]
