from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .comfyui_health import comfyui_health
from .offers import workflow_templates_enabled
from .selectors import default_model_name, lora_list, model_list
from .serializers import (
    InstalledLoraSerializer,
    InstalledModelSerializer,
    ModelListSerializer,
    WorkflowTemplateSerializer,
)


class ModelListApi(APIView):
    """GET: the checkpoints (local and each ComfyUI server's, with engine and servers; the demo one says
    so), VAEs, LoRAs (with the engine they are for), ComfyUI workflow templates, each ComfyUI server's
    health, and the default model."""

    @extend_schema(responses=ModelListSerializer)
    def get(self, request: Request) -> Response:
        return Response(
            {
                "default_model": default_model_name(),
                "models": InstalledModelSerializer(model_list(kind="checkpoint"), many=True).data,
                "vaes": InstalledModelSerializer(model_list(kind="vae"), many=True).data,
                "loras": InstalledLoraSerializer(lora_list(), many=True).data,
                "templates": WorkflowTemplateSerializer(workflow_templates_enabled(), many=True).data,
                "comfyui_servers": comfyui_health(),
            }
        )
