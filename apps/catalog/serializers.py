from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import InstalledLora, InstalledModel

DEMO_NOTE = _("Demo model with random weights: its images are noise. Install SDXL with `make models`.")


class InstalledModelSerializer(serializers.ModelSerializer):
    note = serializers.SerializerMethodField()

    class Meta:
        model = InstalledModel
        fields = ["name", "kind", "format", "size_bytes", "is_demo", "note", "source", "repo_id"]

    def get_note(self, model: InstalledModel) -> str:
        return str(DEMO_NOTE) if model.is_demo else ""


class InstalledLoraSerializer(serializers.ModelSerializer):
    class Meta:
        model = InstalledLora
        fields = ["name", "trigger_words", "default_weight", "base_model", "license", "is_demo", "size_bytes"]
