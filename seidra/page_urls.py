"""The navigation's pages (`pages:` URL names): home and one page per section.

Project wiring, not an app's: the pages come from several feature apps, which apps.core may not
import. A section whose feature has not landed yet shows core's honest empty state
(apps/core/views.py SECTIONS).
"""

from django.urls import path

from apps.catalog.views import model_list_page
from apps.core import views as core_views
from apps.gallery.pages import gallery_page
from apps.home.views import home_page
from apps.jobs.views import job_create_page, job_list_page
from apps.personas.views import persona_list_page

app_name = "pages"

BUILT_SECTIONS = {
    "create": job_create_page,
    "jobs": job_list_page,
    "gallery": gallery_page,
    "personas": persona_list_page,
    "models": model_list_page,
}

urlpatterns = [
    path("", home_page, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    *[
        path(f"{name}/", BUILT_SECTIONS[name], name=name)
        if name in BUILT_SECTIONS
        else path(f"{name}/", core_views.section, {"name": name}, name=name)
        for name in core_views.SECTIONS
    ],
]
