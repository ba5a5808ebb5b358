from django.urls import path

from apps.catalog.views import model_list_page
from apps.home.views import home_page
from apps.jobs.views import job_create_page, job_list_page

from . import views

app_name = "core"

# Sections whose feature has landed have their own page; the others show their empty state.
BUILT_SECTIONS = {"create": job_create_page, "jobs": job_list_page, "models": model_list_page}

urlpatterns = [
    path("", home_page, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    *[
        path(f"{name}/", BUILT_SECTIONS[name], name=name)
        if name in BUILT_SECTIONS
        else path(f"{name}/", views.section, {"name": name}, name=name)
        for name in views.SECTIONS
    ],
]
