"""Reads on the catalog: installed models and LoRAs, and where their files are."""

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.core.errors import SeidraError

from .layout import models_dir
from .models import InstalledLora, InstalledModel


def model_list(*, kind: str | None = None) -> QuerySet[InstalledModel]:
    models = InstalledModel.objects.all()
    return models.filter(kind=kind) if kind else models


def lora_list() -> QuerySet[InstalledLora]:
    return InstalledLora.objects.all()


def model_get(name: str) -> InstalledModel:
    model = InstalledModel.objects.filter(name=name).first()
    if model is None:
        raise SeidraError(
            _("No model named '%(name)s' is installed: run `manage.py setup_models` or sync the catalog.")
            % {"name": name},
            status=404,
        )
    return model


def lora_get(name: str) -> InstalledLora:
    lora = InstalledLora.objects.filter(name=name).first()
    if lora is None:
        raise SeidraError(
            _("No LoRA named '%(name)s' is installed: add it in the admin or run `manage.py setup_models`.")
            % {"name": name},
            status=404,
        )
    return lora


SDXL_BASE_NAME = "stable-diffusion-xl-base-1.0"
DEMO_MODEL_NAME = "seidra-tiny-sdxl"


def default_model_name() -> str:
    """SEIDRA_DEFAULT_MODEL when set, else SDXL base when installed, else the demo model."""
    configured = settings.SEIDRA_DEFAULT_MODEL
    if configured:
        return configured
    if InstalledModel.objects.filter(name=SDXL_BASE_NAME, kind="checkpoint").exists():
        return SDXL_BASE_NAME
    return DEMO_MODEL_NAME


def model_path(model: InstalledModel) -> Path:
    """Absolute path: a diffusers directory or a single .safetensors file."""
    return models_dir() / model.path


def lora_path(lora: InstalledLora) -> Path:
    return models_dir() / lora.path
