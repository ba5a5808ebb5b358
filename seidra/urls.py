"""Root URLs: pages, allauth, admin, API, metrics."""

from django.contrib import admin
from django.urls import include, path

from apps.core.metrics_access import metrics_view

urlpatterns = [
    path("", include("seidra.page_urls")),
    path("accounts/", include("apps.accounts.urls")),  # our account pages, beside allauth's
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", include("apps.notifications.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("media/", include("apps.gallery.urls")),
    path("s/", include("apps.gallery.share_urls")),  # share links: public, outside /media/
    path("personas/", include("apps.personas.urls")),
    path("catalog/", include("apps.catalog.urls")),  # staff actions of the Models page
    path("admin/", admin.site.urls),
    path("api/", include("seidra.api_urls")),
    # Prometheus scrapes only: allowed addresses or the token, 404 for anyone else (apps/core/metrics_access.py).
    path("metrics", metrics_view, name="prometheus-django-metrics"),
]

handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
