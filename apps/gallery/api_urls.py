from django.urls import path  # noqa: F401

# `str`, not `uuid`: a malformed id reaches the selector and answers the same JSON 404 as another user's media.
urlpatterns: list = []
