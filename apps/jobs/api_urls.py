from django.urls import path

from .apis import ImageGenerationApi, JobCancelApi, JobDetailApi, JobListApi, JobRetryApi, VideoGenerationApi

# `str`, not `uuid`: a malformed id reaches the selector and answers the same JSON 404 as another user's job.
urlpatterns = [
    path("generation/image", ImageGenerationApi.as_view(), name="api-generation-image"),
    path("generation/video", VideoGenerationApi.as_view(), name="api-generation-video"),
    path("jobs", JobListApi.as_view(), name="api-jobs"),
    path("jobs/<str:job_id>", JobDetailApi.as_view(), name="api-job-detail"),
    path("jobs/<str:job_id>/cancel", JobCancelApi.as_view(), name="api-job-cancel"),
    path("jobs/<str:job_id>/retry", JobRetryApi.as_view(), name="api-job-retry"),
]
