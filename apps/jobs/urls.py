from django.urls import path

from . import views

app_name = "jobs"

# The jobs table (/jobs/) and the create page (/create/) are navigation sections: seidra/page_urls.py.
urlpatterns = [
    path("video/new", views.video_job_create_view, name="video-create"),
    path("<uuid:job_id>/", views.job_detail_page, name="detail"),
    path("<uuid:job_id>/item", views.job_item, name="item"),
    path("<uuid:job_id>/cancel", views.job_cancel_view, name="cancel"),
    path("<uuid:job_id>/retry", views.job_retry_view, name="retry"),
    path("<uuid:job_id>/delete", views.job_delete_view, name="delete"),
]
