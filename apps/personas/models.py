"""A persona: a reusable character, its prompt template and its generation defaults.

Every default is optional: an empty one leaves the field to the user or to the model's own default.
How a persona and the user's fields compose into a job is written once, in apps.personas.composition.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PROMPT_PLACEHOLDER = "{prompt}"


def persona_reference_upload_to(persona: "Persona", filename: str) -> str:
    return f"personas/{persona.owner_id}/{persona.id}/{filename}"


class Persona(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # "{prompt}" marks where the user's prompt goes; a template without it gets the prompt appended.
    prompt_template = models.TextField(_("prompt template"), blank=True)
    negative_prompt = models.TextField(_("negative prompt"), blank=True)
    model = models.CharField(_("model"), max_length=200, blank=True)  # blank: the server's default model
    loras = models.JSONField(_("LoRAs"), default=list, blank=True)  # [{"name": ..., "weight": ...}]
    seed = models.PositiveBigIntegerField(_("seed"), null=True, blank=True)  # blank: a new seed per job
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    steps = models.PositiveIntegerField(_("steps"), null=True, blank=True)
    guidance = models.FloatField(_("guidance"), null=True, blank=True)
    scheduler = models.CharField(_("scheduler"), max_length=32, blank=True)
    # The persona keeps its own copy of the image, so deleting the gallery item leaves it intact.
    reference_image = models.ImageField(
        _("reference image"), upload_to=persona_reference_upload_to, blank=True, max_length=300
    )
    reference_media_id = models.UUIDField(_("picked from gallery item"), null=True, blank=True)
    nsfw_allowed = models.BooleanField(_("NSFW allowed"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="persona_name_once_per_owner")]

    def __str__(self) -> str:
        return self.name
