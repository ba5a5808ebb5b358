from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import InstalledLora, InstalledModel, WorkflowTemplate
from .offers import lora_note

DEMO_NOTE = _("Demo model with random weights: its images are noise. Install SDXL with `make models`.")


class InstalledModelSerializer(serializers.ModelSerializer):
    note = serializers.SerializerMethodField()
    servers = serializers.ListField(
        child=serializers.CharField(), help_text="ComfyUI models: the base URLs of the servers that list it."
    )

    class Meta:
        model = InstalledModel
        fields = ["name", "kind", "format", "size_bytes", "is_demo", "note", "source", "repo_id", "engine", "servers"]

    def get_note(self, model: InstalledModel) -> str:
        return str(DEMO_NOTE) if model.is_demo else ""


class InstalledLoraSerializer(serializers.ModelSerializer):
    note = serializers.SerializerMethodField(help_text="What to know before using it, e.g. a LoRA ComfyUI ignores.")
    servers = serializers.ListField(child=serializers.CharField(), help_text="ComfyUI LoRAs: the servers listing it.")

    class Meta:
        model = InstalledLora
        fields = [
            "name",
            "trigger_words",
            "default_weight",
            "base_model",
            "license",
            "is_demo",
            "size_bytes",
            "engine",
            "servers",
            "key_format",
            "note",
        ]

    def get_note(self, lora: InstalledLora) -> str:
        return lora_note(lora)


class WorkflowTemplateSerializer(serializers.ModelSerializer):
    engine = serializers.SerializerMethodField()
    fields_mapped = serializers.SerializerMethodField(help_text="The SEIDRA fields this template takes.")

    class Meta:
        model = WorkflowTemplate
        fields = ["name", "description", "engine", "fields_mapped"]

    def get_engine(self, template: WorkflowTemplate) -> str:
        return "comfyui"

    def get_fields_mapped(self, template: WorkflowTemplate) -> list[str]:
        return sorted(template.inputs) if isinstance(template.inputs, dict) else []


class ComfyDeviceSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    vram_total = serializers.IntegerField(help_text="Bytes.")
    vram_free = serializers.IntegerField(help_text="Bytes.")


class ComfyQueueSerializer(serializers.Serializer):
    running = serializers.IntegerField()
    pending = serializers.IntegerField()


class ComfyServerHealthSerializer(serializers.Serializer):
    """One ComfyUI server as /api/health and /api/models report it."""

    url = serializers.CharField()
    status = serializers.ChoiceField(choices=["ok", "error"])
    reason = serializers.CharField(help_text="Why it is unreachable; empty when ok.")
    version = serializers.CharField()
    devices = ComfyDeviceSerializer(many=True)
    queue = ComfyQueueSerializer(allow_null=True)


class ModelListSerializer(serializers.Serializer):
    """GET /api/models (a response only)."""

    default_model = serializers.CharField()
    models = InstalledModelSerializer(many=True, help_text="Checkpoints, local and ComfyUI (see engine, servers).")
    vaes = InstalledModelSerializer(many=True)
    loras = InstalledLoraSerializer(many=True)
    templates = WorkflowTemplateSerializer(many=True, help_text="Enabled ComfyUI workflow templates, picked as models.")
    comfyui_servers = ComfyServerHealthSerializer(many=True, help_text="Empty when SEIDRA_COMFYUI_URL is unset.")
