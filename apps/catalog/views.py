"""The Models page: installed checkpoints and LoRAs, the demo model named as such."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import default_model_name, lora_list, model_list


@login_required
def model_list_page(request: HttpRequest) -> HttpResponse:
    context = {
        "checkpoints": model_list(kind="checkpoint"),
        "vaes": model_list(kind="vae"),
        "loras": lora_list(),
        "default_model": default_model_name(),
    }
    return render(request, "catalog/model-list.html", context)
