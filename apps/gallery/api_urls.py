from django.urls import path

from .parameters_api import ReadParametersApi

# `str`, not `uuid`: a malformed id reaches the selector and answers the same JSON 404 as another user's media.
urlpatterns = [
    path("media/read-parameters", ReadParametersApi.as_view(), name="api-media-read-parameters"),
]
