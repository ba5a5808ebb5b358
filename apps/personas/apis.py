"""Personas API: list, create, read, update (PATCH and PUT) and delete one's own personas.

Thin: apps.personas.services checks and writes (ParameterError becomes a 400 naming each field);
every read goes through the owner-scoped selector, so another user's persona is a 404 like one
that does not exist.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_schema import ApiErrorSerializer
from apps.core.body_fields import BodyFieldsRefusedMixin
from apps.core.errors import ParameterError
from apps.core.pagination import ApiPagination
from apps.core.parsers import SafeJSONParser, SafeMultiPartParser

from .selectors import persona_get_for_user, persona_list
from .serializers import PersonaPageSerializer, PersonaReferenceUploadSerializer, PersonaSerializer
from .services import persona_create, persona_delete, persona_update

TAG = "personas"
PERSONA_ID = OpenApiParameter("persona_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No such persona among yours (or a malformed id).")
INVALID = OpenApiResponse(
    ApiErrorSerializer,
    description="A field is invalid (a name you already use, a model or LoRA not installed, a value out of the "
    "model's bounds, another user's gallery image); `errors` names each.",
)


class PersonaListApi(APIView):
    parser_classes = [SafeJSONParser]
    serializer_class = PersonaSerializer  # the body's fields (apps/core/body_fields.py) and the schema

    @extend_schema(
        tags=[TAG],
        operation_id="personas_list",
        summary="List your personas, by name",
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="1-based page number."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="20 by default, 100 at most."),
        ],
        responses={200: PersonaPageSerializer},
    )
    def get(self, request: Request) -> Response:
        paginator = ApiPagination()
        page = paginator.paginate_queryset(persona_list(owner=request.user), request, view=self)
        return paginator.get_paginated_response(PersonaSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="personas_create",
        summary="Create a persona",
        responses={201: PersonaSerializer, 400: INVALID},
    )
    def post(self, request: Request) -> Response:
        persona = persona_create(owner=request.user, data=request.data)
        return Response(PersonaSerializer(persona).data, status=status.HTTP_201_CREATED)


class PersonaDetailApi(BodyFieldsRefusedMixin, APIView):
    parser_classes = [SafeJSONParser]

    def get_serializer_class(self):
        """The body's fields: a persona's for PUT and PATCH, none for DELETE (a field sent there is refused)."""
        method = getattr(getattr(self, "request", None), "method", "")
        return None if method == "DELETE" else PersonaSerializer

    def _persona(self, request: Request, persona_id: str):
        return persona_get_for_user(user=request.user, persona_id=persona_id)

    @extend_schema(
        tags=[TAG],
        operation_id="personas_retrieve",
        summary="Read one persona",
        parameters=[PERSONA_ID],
        responses={200: PersonaSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, persona_id: str) -> Response:
        return Response(PersonaSerializer(self._persona(request, persona_id)).data)

    @extend_schema(
        tags=[TAG],
        operation_id="personas_partial_update",
        summary="Change some fields of a persona",
        description="Fields left out keep their value. The reference image stays until another replaces it.",
        parameters=[PERSONA_ID],
        responses={200: PersonaSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    def patch(self, request: Request, persona_id: str) -> Response:
        persona = persona_update(persona=self._persona(request, persona_id), data=request.data, partial=True)
        return Response(PersonaSerializer(persona).data)

    @extend_schema(
        tags=[TAG],
        operation_id="personas_update",
        summary="Replace a persona",
        description="Fields left out return to their default (blank). The reference image stays until another "
        "replaces it.",
        parameters=[PERSONA_ID],
        responses={200: PersonaSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    def put(self, request: Request, persona_id: str) -> Response:
        persona = persona_update(persona=self._persona(request, persona_id), data=request.data, partial=False)
        return Response(PersonaSerializer(persona).data)

    @extend_schema(
        tags=[TAG],
        operation_id="personas_destroy",
        summary="Delete a persona",
        description="Images made with it stay in the gallery and keep its name.",
        parameters=[PERSONA_ID],
        request=None,
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, persona_id: str) -> Response:
        persona_delete(persona=self._persona(request, persona_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PersonaReferenceApi(APIView):
    parser_classes = [SafeMultiPartParser]
    serializer_class = PersonaReferenceUploadSerializer  # the body's fields and the schema

    @extend_schema(
        tags=[TAG],
        operation_id="personas_reference_update",
        summary="Upload a persona's reference image",
        description="Multipart, the image in the field `file`; it replaces the current reference image "
        "(and any gallery item it was picked from).",
        parameters=[PERSONA_ID],
        request={"multipart/form-data": PersonaReferenceUploadSerializer},
        responses={
            200: PersonaSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="No `file`, or not an image that can be read."),
            404: NOT_FOUND,
        },
    )
    def put(self, request: Request, persona_id: str) -> Response:
        persona = persona_get_for_user(user=request.user, persona_id=persona_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ParameterError({"file": _("Send the image in the multipart field `file`.")})
        try:
            persona = persona_update(persona=persona, data={}, reference_upload=upload)
        except ParameterError as error:  # the service names the persona's field; this endpoint calls it `file`
            raise ParameterError({"file": error.errors.get("reference_image", str(error))}) from None
        return Response(PersonaSerializer(persona).data)
