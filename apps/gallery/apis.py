"""Media API: list (the gallery's filters), read, mark (favourite, tags) and delete one's media, and
fetch a file or thumbnail.

Thin: services write, selectors read. Every read goes through the owner-scoped selectors, so
another user's media answers 404 exactly like one that does not exist; files and thumbnails follow
the one "owner or staff" rule (selectors.media_get_for_viewing) of the /media/ URLs.
"""

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_schema import ApiErrorSerializer
from apps.core.body_fields import BodyFieldsRefusedMixin
from apps.core.pagination import ApiPagination
from apps.core.parsers import SafeJSONParser

from .filters import gallery_filters_from_query
from .models import MediaKind
from .selectors import media_get_for_user, media_get_for_viewing, media_list
from .serializers import MediaPageSerializer, MediaSerializer, MediaUpdateSerializer
from .services import media_delete, media_favourite_set, media_tags_set
from .serving import media_file_response, media_thumbnail_response
from .thumbnails import thumbnail_sizes

TAG = "media"
MEDIA_ID = OpenApiParameter("media_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No such media among yours (or a malformed id).")
NOT_MODIFIED = OpenApiResponse(description="Not modified: If-None-Match named the current ETag.")
FILTERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, enum=MediaKind.values),
    OpenApiParameter("model", OpenApiTypes.STR, description="A model name, as in `parameters.model`."),
    OpenApiParameter("lora", OpenApiTypes.STR, description="A LoRA name: media made with it."),
    OpenApiParameter("persona", OpenApiTypes.UUID, description="A persona id: media made with it."),
    OpenApiParameter("favourite", OpenApiTypes.STR, description="1: favourites only; 0: the others."),
    OpenApiParameter("flagged", OpenApiTypes.STR, description="1: flagged (NSFW) only; 0: the others."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Made on or after this day (server time zone)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Made on or before this day."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words that must all appear in the prompt."),
    OpenApiParameter("page", OpenApiTypes.INT, description="1-based page number."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="SEIDRA_GALLERY_PAGE_SIZE by default, 100 at most."),
]


class MediaPagination(ApiPagination):
    """SEIDRA_GALLERY_PAGE_SIZE per page, as the gallery page (read per request: tests change it)."""

    def get_page_size(self, request):
        self.page_size = settings.SEIDRA_GALLERY_PAGE_SIZE
        return super().get_page_size(request)


class MediaListApi(APIView):
    @extend_schema(
        tags=[TAG],
        operation_id="media_list",
        summary="List your media, newest first",
        description="The gallery's filters, by the same names as the gallery page's URL.",
        parameters=FILTERS,
        responses={
            200: MediaPageSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="A filter is malformed; `errors` names it."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = gallery_filters_from_query(request.query_params)
        if filters.problems:
            raise ValidationError({name: [message] for name, message in filters.problems.items()})
        paginator = MediaPagination()
        page = paginator.paginate_queryset(media_list(user=request.user, filters=filters), request, view=self)
        return paginator.get_paginated_response(MediaSerializer(page, many=True).data)


class MediaDetailApi(BodyFieldsRefusedMixin, APIView):
    """GET, PATCH and DELETE share the media's URL; only PATCH reads a body."""

    parser_classes = [SafeJSONParser]  # `tags` is a list, which form encoding cannot carry

    def get_serializer_class(self):
        # The documented body (apps/core/body_fields.py): PATCH's fields; none for the others.
        return MediaUpdateSerializer if self.request.method == "PATCH" else None

    @extend_schema(
        tags=[TAG],
        operation_id="media_retrieve",
        summary="Read one media item",
        parameters=[MEDIA_ID],
        responses={200: MediaSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, media_id: str) -> Response:
        return Response(MediaSerializer(media_get_for_user(user=request.user, media_id=media_id)).data)

    @extend_schema(
        tags=[TAG],
        operation_id="media_partial_update",
        summary="Mark a media item: favourite, tags",
        parameters=[MEDIA_ID],
        request=MediaUpdateSerializer,
        responses={
            200: MediaSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="A field is invalid; `errors` names it."),
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, media_id: str) -> Response:
        changes = MediaUpdateSerializer(data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        media = media_get_for_user(user=request.user, media_id=media_id)
        with transaction.atomic():
            if "favourite" in changes.validated_data:
                media = media_favourite_set(media=media, favourite=changes.validated_data["favourite"])
            if "tags" in changes.validated_data:
                media = media_tags_set(media=media, tags=changes.validated_data["tags"])
        return Response(MediaSerializer(media).data)

    @extend_schema(
        tags=[TAG],
        operation_id="media_destroy",
        summary="Delete a media item",
        description="Its file, its thumbnails and the row go; the job that made it stays.",
        parameters=[MEDIA_ID],
        request=None,
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, media_id: str) -> Response:
        media_delete(media=media_get_for_user(user=request.user, media_id=media_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """Files answer whatever the client accepts (an <img> asks for image/*): the JSON renderer is only
    for errors, so an Accept it does not match must not turn a file into a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MediaFileApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        tags=[TAG],
        operation_id="media_file",
        summary="Download a media item's original file",
        description=(
            "The PNG as stored, its parameters inside. Served to the owner and to staff. "
            "`ETag` and `Cache-Control: private`; with SEIDRA_MEDIA_ACCEL the web server sends the bytes."
        ),
        parameters=[
            MEDIA_ID,
            OpenApiParameter("download", OpenApiTypes.STR, enum=["1"], description="1: as an attachment, named."),
        ],
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            304: NOT_MODIFIED,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, media_id: str) -> HttpResponse:
        return media_file_response(request, media=media_get_for_viewing(user=request.user, media_id=media_id))


class MediaThumbnailApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        tags=[TAG],
        operation_id="media_thumbnail",
        summary="A media item's WebP thumbnail",
        description="Made on the first request when missing. Served to the owner and to staff.",
        parameters=[
            MEDIA_ID,
            OpenApiParameter(
                "size", OpenApiTypes.INT, enum=list(thumbnail_sizes()), description="Width; the smallest if omitted."
            ),
        ],
        responses={
            (200, "image/webp"): OpenApiResponse(OpenApiTypes.BINARY, description="The thumbnail."),
            304: NOT_MODIFIED,
            404: OpenApiResponse(
                ApiErrorSerializer,
                description="No such media among yours, no thumbnail of that size (the message names the sizes), "
                "or none for this kind yet.",
            ),
        },
    )
    def get(self, request: Request, media_id: str) -> HttpResponse:
        return media_thumbnail_response(request, media=media_get_for_viewing(user=request.user, media_id=media_id))
