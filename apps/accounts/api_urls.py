from django.urls import path
from rest_framework_simplejwt.views import TokenVerifyView

from .apis import MeApi, TokenObtainApi, TokenRefreshApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="api-token-refresh"),
    path("auth/token/verify/", TokenVerifyView.as_view(), name="api-token-verify"),
    path("me", MeApi.as_view(), name="api-me"),
]
