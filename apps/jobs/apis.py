"""Jobs API: submit an image or a video job, list, read, cancel, retry and delete one's own jobs.

Thin: the services validate and decide (ParameterError and SeidraError are mapped to HTTP once,
in apps.core.api_errors); every read goes through the owner-scoped selectors, so another
user's job answers 404 exactly like one that does not exist.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_schema import ApiErrorSerializer
from apps.core.body_fields import BodyFieldsRefusedMixin
from apps.core.pagination import ApiPagination
from apps.core.parsers import SafeJSONParser, SafeMultiPartParser

from .models import JobKind
from .selectors import job_get_for_user, job_list, job_queue_places
from .serializers import (
    ImageGenerationSerializer,
    JobListFilterSerializer,
    JobPageSerializer,
    JobRetrySerializer,
    JobSerializer,
    VideoGenerationSerializer,
)
from .services import job_cancel, job_create, job_delete, job_retry
from .video_submit import video_job_create

TAG = "jobs"
JOB_ID = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No such job among yours (or a malformed id).")


def _job_data(job, request: Request) -> dict:
    return JobSerializer(job, context={"queue_places": job_queue_places(owner=request.user)}).data


class ImageGenerationApi(APIView):
    # JSON only: `loras` is a list of objects, which form encoding cannot carry.
    parser_classes = [SafeJSONParser]
    # The documented body: the schema's request and the fields the parser accepts (apps/core/body_fields.py).
    serializer_class = ImageGenerationSerializer

    @extend_schema(
        tags=[TAG],
        operation_id="generation_image_create",
        summary="Submit an image job",
        responses={
            201: JobSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="A parameter is invalid; `errors` names each."),
            429: OpenApiResponse(ApiErrorSerializer, description="Too many of your jobs are already waiting."),
        },
    )
    def post(self, request: Request) -> Response:
        job = job_create(owner=request.user, kind=JobKind.IMAGE, parameters=request.data)
        return Response(_job_data(job, request), status=status.HTTP_201_CREATED)


class VideoGenerationApi(APIView):
    # Multipart: the audio track and the character image are files.
    parser_classes = [SafeMultiPartParser]
    serializer_class = VideoGenerationSerializer  # the documented fields; others are refused (body_fields)

    @extend_schema(
        tags=[TAG],
        operation_id="generation_video_create",
        summary="Submit a talking-character video job",
        description=(
            "multipart/form-data: `prompt`, `duration` (2 to 30 seconds), the `audio` file, at most one "
            "character source, and the lip-sync options the server's engine uses (README, Talking-character "
            "videos). Everything is checked before anything is kept: a refusal stores nothing. The job runs "
            'on the `gpu` queue; once SUCCEEDED its `outputs` are the video (`kind` "video": `url` MP4, '
            '`webm_url`, `poster_url`, `duration`) and its audio track (`kind` "audio").'
        ),
        request={"multipart/form-data": VideoGenerationSerializer},
        responses={
            201: JobSerializer,
            400: OpenApiResponse(
                ApiErrorSerializer,
                description="A field is invalid (`errors` names each): the audio or the image is not what it "
                "claims, too large, the duration is out of range, the URL is refused...",
            ),
            401: OpenApiResponse(ApiErrorSerializer, description="Not signed in (JWT or session)."),
            429: OpenApiResponse(
                ApiErrorSerializer, description="Too many of your jobs are already waiting, or your storage is full."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        files = request.FILES
        fields = {name: request.data.get(name) for name in request.data if name not in files}
        job = video_job_create(
            owner=request.user, data=fields, audio=files.get("audio"), reference_image=files.get("reference_image")
        )
        return Response(_job_data(job, request), status=status.HTTP_201_CREATED)


class JobListApi(APIView):
    @extend_schema(
        tags=[TAG],
        operation_id="jobs_list",
        summary="List your jobs, newest first",
        parameters=[
            JobListFilterSerializer,
            OpenApiParameter("page", OpenApiTypes.INT, description="1-based page number."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="20 by default, 100 at most."),
        ],
        responses={200: JobPageSerializer, 400: ApiErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = JobListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = job_list(owner=request.user, **filters.validated_data)
        paginator = ApiPagination()
        page = paginator.paginate_queryset(jobs, request, view=self)
        context = {"queue_places": job_queue_places(owner=request.user)}
        return paginator.get_paginated_response(JobSerializer(page, many=True, context=context).data)


class JobDetailApi(BodyFieldsRefusedMixin, APIView):
    """GET and DELETE share the job's URL, so this is the one view with two operations."""

    @extend_schema(
        tags=[TAG],
        operation_id="jobs_retrieve",
        summary="Read one job",
        parameters=[JOB_ID],
        responses={200: JobSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        return Response(_job_data(job, request))

    @extend_schema(
        tags=[TAG],
        operation_id="jobs_destroy",
        summary="Delete a finished job",
        description="The job leaves your list; its images stay in the gallery.",
        parameters=[JOB_ID],
        responses={
            204: None,
            404: NOT_FOUND,
            409: OpenApiResponse(ApiErrorSerializer, description="The job is queued or running: cancel it first."),
        },
    )
    def delete(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        job_delete(job=job)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JobCancelApi(BodyFieldsRefusedMixin, APIView):
    @extend_schema(
        tags=[TAG],
        operation_id="jobs_cancel",
        summary="Cancel a job",
        description=(
            "A queued job leaves the queue and is CANCELLED at once; a running one is asked to stop and "
            "becomes CANCELLED at its next step (read the job again, or follow /ws/jobs/)."
        ),
        parameters=[JOB_ID],
        request=None,
        responses={
            200: JobSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(ApiErrorSerializer, description="The job has already finished."),
        },
    )
    def post(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        return Response(_job_data(job_cancel(job=job), request))


class JobRetryApi(APIView):
    serializer_class = JobRetrySerializer  # the body's fields (apps/core/body_fields.py) and the schema

    @extend_schema(
        tags=[TAG],
        operation_id="jobs_retry",
        summary="Run a finished job again",
        description=(
            "Queues a new job with the same parameters and returns it. `seed` chooses its seed: `same` "
            "(the default, also with no body) reuses the seed the job ran with, the requested one or the "
            "one drawn for it (`outputs[0].seed`); `new` draws a new random seed."
        ),
        parameters=[JOB_ID],
        responses={
            201: JobSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="`seed` is neither `same` nor `new`."),
            404: NOT_FOUND,
            409: OpenApiResponse(
                ApiErrorSerializer,
                description=(
                    "The job is still queued or running, or `same` was asked of a job whose random seed "
                    "no image recorded (it failed or was cancelled first): retry with `new`."
                ),
            ),
            429: OpenApiResponse(ApiErrorSerializer, description="Too many of your jobs are already waiting."),
        },
    )
    def post(self, request: Request, job_id: str) -> Response:
        choice = JobRetrySerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        job = job_get_for_user(user=request.user, job_id=job_id)
        retried = job_retry(job=job, seed=choice.validated_data["seed"])
        return Response(_job_data(retried, request), status=status.HTTP_201_CREATED)
