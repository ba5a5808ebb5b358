"""POST /api/media/read-parameters: the generation parameters of an uploaded PNG (SEIDRA,
AUTOMATIC1111/Forge or ComfyUI), for the Create page's drop zone and for scripts."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_schema import ApiErrorSerializer
from apps.core.errors import ParameterError
from apps.core.parsers import SafeMultiPartParser

from .parameters_read import FIELDS, SOURCE_A1111, SOURCE_COMFYUI, SOURCE_SEIDRA, NoParameters, png_parameters_from_file
from .png_chunks import NotPng

# Parameters live in the first kilobytes of a PNG written by these tools, but ComfyUI writes them
# after the pixels: the whole file is read. A generated image is a few megabytes.
MAX_PNG_BYTES = 64 * 1024 * 1024


class ReadParametersRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PNG made by SEIDRA, AUTOMATIC1111, Forge or ComfyUI.")


class ReadParametersSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=[SOURCE_SEIDRA, SOURCE_A1111, SOURCE_COMFYUI], help_text="The tool that wrote the parameters."
    )
    parameters = serializers.DictField(
        help_text=(
            "What could be read, named as the body of POST /api/generation/image ("
            + ", ".join(FIELDS)
            + "): it can be submitted as is."
        )
    )
    unread = serializers.DictField(
        child=serializers.CharField(),
        help_text="Each field that could not be read (or names a model or LoRA not installed here) -> why.",
    )


class ReadParametersApi(APIView):
    parser_classes = [SafeMultiPartParser]
    serializer_class = ReadParametersRequestSerializer

    @extend_schema(
        tags=["media"],
        operation_id="media_read_parameters",
        summary="Read the generation parameters of a PNG",
        request={"multipart/form-data": ReadParametersRequestSerializer},
        responses={
            200: ReadParametersSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="No file, not a PNG, or no parameters in it."),
        },
    )
    def post(self, request: Request) -> Response:
        upload = request.data.get("file")
        if upload is None or isinstance(upload, str):
            raise ParameterError({"file": _("Attach a PNG file in the multipart field `file`.")})
        if upload.size > MAX_PNG_BYTES:
            limit = MAX_PNG_BYTES // (1024 * 1024)
            raise ParameterError({"file": _("The file is larger than %(mb)s MB.") % {"mb": limit}})
        try:
            result = png_parameters_from_file(upload.read())
        except NotPng as error:
            raise ParameterError({"file": _("Not a PNG file.")}) from error
        except NoParameters as error:
            raise ParameterError({"file": str(error)}) from error
        return Response({"source": result.source, "parameters": result.parameters, "unread": result.unread})
