from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("<uuid:job_id>/", views.job_detail_page, name="detail"),
]
