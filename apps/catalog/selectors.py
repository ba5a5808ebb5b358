"""Reads on the catalog: installed models and LoRAs, and where their files are.

`model_locate` is the one answer to "which engine runs this model, and from where": the worker asks
it by the name the job row holds, and never applies layout rules of its own."""

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.core.errors import SeidraError

from .layout import DEMO_MODEL_NAME, SDXL_BASE_NAME, local_model_location, models_dir
from .models import InstalledLora, InstalledModel, WorkflowTemplate
from .request import ENGINE_COMFYUI, ENGINE_LOCAL, ModelLocation


def model_list(*, kind: str | None = None) -> QuerySet[InstalledModel]:
    models = InstalledModel.objects.all()
    return models.filter(kind=kind) if kind else models


def lora_list() -> QuerySet[InstalledLora]:
    return InstalledLora.objects.all()


def model_get(name: str) -> InstalledModel:
    model = InstalledModel.objects.filter(name=name).first()
    if model is None:
        raise _model_missing(name)
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


def _model_missing(name: str) -> SeidraError:
    return SeidraError(
        _("No model named '%(name)s' is installed: run `manage.py setup_models` or sync the catalog.") % {"name": name},
        status=404,
    )


def template_get_enabled(name: str) -> WorkflowTemplate | None:
    return WorkflowTemplate.objects.filter(name=name, enabled=True).first()


def model_engine(name: str) -> str:
    """The engine that runs a model or an enabled workflow template (SeidraError 404 when neither).
    A checkpoint of the same name wins over a template, as in `model_locate`."""
    engine = InstalledModel.objects.filter(name=name, kind="checkpoint").values_list("engine", flat=True).first()
    if engine is not None:
        return engine
    if WorkflowTemplate.objects.filter(name=name, enabled=True).exists():
        return ENGINE_COMFYUI
    raise _model_missing(name)


def model_locate(name: str) -> ModelLocation:
    """Where a model lives and which engine runs it: a local checkpoint (its files, by the layout
    rules of apps/catalog/layout.py), a ComfyUI checkpoint (the servers that list it) or an enabled
    staff workflow template (run on any server of the pool). SeidraError 404 when none."""
    model = InstalledModel.objects.filter(name=name, kind="checkpoint").first()
    if model is not None and model.engine == ENGINE_LOCAL:
        return local_model_location(name=model.name, path=model_path(model), is_demo=model.is_demo)
    if model is not None:
        return ModelLocation(name=model.name, engine=model.engine, servers=tuple(model.servers or ()))
    template = template_get_enabled(name)
    if template is not None:
        return ModelLocation(
            name=template.name,
            engine=ENGINE_COMFYUI,
            servers=tuple(settings.SEIDRA_COMFYUI_URLS),
            workflow=template.workflow,
            workflow_inputs=template.inputs,
        )
    raise _model_missing(name)


def lora_local_path(name: str) -> Path:
    """The file of a LoRA the local engine applies (SeidraError 404 when no local LoRA has that name)."""
    lora = InstalledLora.objects.filter(name=name, engine=ENGINE_LOCAL).first()
    if lora is None:
        raise SeidraError(
            _("No LoRA named '%(name)s' is installed: add it in the admin or run `manage.py setup_models`.")
            % {"name": name},
            status=404,
        )
    return lora_path(lora)
