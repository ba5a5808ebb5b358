"""REST API routes (JWT-protected unless said otherwise)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("apps.accounts.api_urls")),
    path("", include("apps.core.api_urls")),
    path("", include("apps.catalog.api_urls")),
    path("", include("apps.jobs.api_urls")),
    path("", include("apps.gallery.api_urls")),
    path("", include("apps.personas.api_urls")),
    # Public, like /api/health: the schema and its docs page describe the endpoints and hold no data
    # (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]). The page loads Swagger UI from our static files, and
    # the split view serves its start-up script as a file (?script=): no inline script for the CSP to allow.
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/api-docs.html"),
        name="api-docs",
    ),
]
