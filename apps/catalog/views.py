"""The Models page: local and ComfyUI checkpoints and LoRAs with their engine and servers, the
ComfyUI workflow templates, each ComfyUI server's health, the engine of talking-character videos
(the SadTalker service's health), and the staff refresh of ComfyUI lists."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .comfyui_health import comfyui_health
from .comfyui_refresh_messages import comfyui_refresh_and_tell
from .models import Engine
from .offers import workflow_templates_enabled
from .sadtalker_health import sadtalker_health
from .selectors import default_model_name, lora_list, model_list


@login_required
def model_list_page(request: HttpRequest) -> HttpResponse:
    checkpoints = list(model_list(kind="checkpoint"))
    context = {
        "checkpoints": [model for model in checkpoints if model.engine == Engine.LOCAL],
        "comfyui_checkpoints": [model for model in checkpoints if model.engine == Engine.COMFYUI],
        "vaes": model_list(kind="vae"),
        "loras": lora_list(),
        "templates": workflow_templates_enabled(),
        "default_model": default_model_name(),
        "comfyui_configured": bool(settings.SEIDRA_COMFYUI_URLS),
        "comfyui_servers": comfyui_health(),
        "sadtalker": sadtalker_health(),
    }
    return render(request, "catalog/model-list.html", context)


@login_required
@require_POST
def comfyui_refresh_action(request: HttpRequest) -> HttpResponse:
    """Staff: list each ComfyUI server's checkpoints and LoRAs now, then back to the Models page."""
    if not request.user.is_staff:
        raise PermissionDenied
    comfyui_refresh_and_tell(request)
    return HttpResponseRedirect(reverse("pages:models"))
