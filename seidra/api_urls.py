"""REST API routes (JWT-protected unless said otherwise)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("apps.accounts.api_urls")),
    path("", include("apps.core.api_urls")),
    path("", include("apps.catalog.api_urls")),
    path("", include("apps.jobs.api_urls")),
    # Public, like /api/health: the schema and its docs page describe the endpoints and hold no data
    # (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]). The page loads Swagger UI from our static files.
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
