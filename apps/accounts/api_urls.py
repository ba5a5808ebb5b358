from django.urls import path

from .apis import MeApi, PreferencesApi, TokenObtainApi, TokenRefreshApi, TokenVerifyApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="api-token-refresh"),
    path("auth/token/verify/", TokenVerifyApi.as_view(), name="api-token-verify"),
    path("me", MeApi.as_view(), name="api-me"),
    path("me/preferences", PreferencesApi.as_view(), name="api-me-preferences"),
]
