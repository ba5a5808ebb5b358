from django.urls import path

from .apis import MediaDetailApi, MediaFileApi, MediaListApi, MediaThumbnailApi
from .parameters_api import ReadParametersApi

# `str`, not `uuid`: a malformed id reaches the selector and answers the same JSON 404 as another user's media.
# Fixed paths under media/ (POST media/read-parameters) go before `media/<str:media_id>`, which would take them.
urlpatterns = [
    path("media", MediaListApi.as_view(), name="api-media"),
    path("media/read-parameters", ReadParametersApi.as_view(), name="api-media-read-parameters"),
    path("media/<str:media_id>", MediaDetailApi.as_view(), name="api-media-detail"),
    path("media/<str:media_id>/file", MediaFileApi.as_view(), name="api-media-file"),
    path("media/<str:media_id>/thumbnail", MediaThumbnailApi.as_view(), name="api-media-thumbnail"),
]
