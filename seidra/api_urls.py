"""REST API routes (JWT-protected unless said otherwise)."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.accounts.api_urls")),
    path("", include("apps.core.api_urls")),
    path("", include("apps.catalog.api_urls")),
]
