from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import default_model_name, lora_list, model_list
from .serializers import InstalledLoraSerializer, InstalledModelSerializer


class ModelListApi(APIView):
    """GET: the installed checkpoints (the demo one says so), VAEs and LoRAs, and the default model."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(
            {
                "default_model": default_model_name(),
                "models": InstalledModelSerializer(model_list(kind="checkpoint"), many=True).data,
                "vaes": InstalledModelSerializer(model_list(kind="vae"), many=True).data,
                "loras": InstalledLoraSerializer(lora_list(), many=True).data,
            }
        )
