"""The navigation's pages (`pages:` URL names): home and one page per section.

Project wiring, not an app's: the pages come from several feature apps, which apps.core may not
import. The order is the navigation's (templates/_nav-links.html).
"""

from django.urls import path

from apps.catalog.views import model_list_page
from apps.core import views as core_views
from apps.gallery.pages import gallery_page
from apps.home.views import home_page
from apps.jobs.views import job_create_page, job_list_page
from apps.personas.views import persona_list_page

app_name = "pages"

SECTIONS = {
    "create": job_create_page,
    "jobs": job_list_page,
    "gallery": gallery_page,
    "personas": persona_list_page,
    "models": model_list_page,
}

urlpatterns = [
    path("", home_page, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    *[path(f"{name}/", view, name=name) for name, view in SECTIONS.items()],
]
