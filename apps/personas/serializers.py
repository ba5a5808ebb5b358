"""Shapes of the personas API. The body is checked by apps.personas.services (the page form's checks
too), so these serializers document it for the schema and the unknown-field check, and render a
persona; they never validate one."""

from django.urls import reverse
from rest_framework import serializers

from apps.catalog.parameters import (
    GUIDANCE_RANGE,
    LORA_WEIGHT_RANGE,
    MAX_LORAS,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    SCHEDULERS,
    SIZE_STEP,
    WIDEST_SIDES,
    WIDEST_STEPS,
)
from apps.core.api_schema import IntegerStepField

from .models import Persona
from .services import DESCRIPTION_MAX, NAME_MAX

BLANK_DEFAULT = "Null or omitted: no default (the user's field, else the model's default, applies)."


class PersonaLoraSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="An installed LoRA; GET /api/models lists them.")
    weight = serializers.FloatField(default=1.0, min_value=LORA_WEIGHT_RANGE[0], max_value=LORA_WEIGHT_RANGE[1])


class PersonaSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=NAME_MAX, help_text="Unique among your personas.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX)
    prompt_template = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_PROMPT_CHARS,
        help_text='"{prompt}" marks where the job\'s prompt goes; without it the prompt is appended after ", ".',
    )
    negative_prompt = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_PROMPT_CHARS, help_text="Comes before the job's own."
    )
    model = serializers.CharField(
        required=False, allow_blank=True, help_text="An installed checkpoint; empty: the server's default model."
    )
    loras = PersonaLoraSerializer(
        many=True, required=False, max_length=MAX_LORAS, help_text="Always applied; a job's own weight wins."
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_SEED, help_text=BLANK_DEFAULT
    )
    width = IntegerStepField(
        step=SIZE_STEP, required=False, allow_null=True, min_value=WIDEST_SIDES[0], max_value=WIDEST_SIDES[1],
        help_text=BLANK_DEFAULT + " Within the model's bounds (as POST /api/generation/image).",
    )  # fmt: skip
    height = IntegerStepField(
        step=SIZE_STEP, required=False, allow_null=True, min_value=WIDEST_SIDES[0], max_value=WIDEST_SIDES[1],
        help_text=BLANK_DEFAULT + " Within the model's bounds (as POST /api/generation/image).",
    )  # fmt: skip
    steps = serializers.IntegerField(
        required=False, allow_null=True, min_value=WIDEST_STEPS[0], max_value=WIDEST_STEPS[1], help_text=BLANK_DEFAULT
    )
    guidance = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=GUIDANCE_RANGE[0],
        max_value=GUIDANCE_RANGE[1],
        help_text=BLANK_DEFAULT,
    )
    scheduler = serializers.ChoiceField(
        choices=[("", "(none)"), *SCHEDULERS.items()], required=False, allow_blank=True, help_text=BLANK_DEFAULT
    )
    reference_media_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="One of your gallery images: the persona keeps its own copy as its reference image.",
    )
    nsfw_allowed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="False: a short NSFW-avoiding phrase is added to the negative prompt of its jobs.",
    )
    reference_image = serializers.SerializerMethodField(
        help_text="The reference image, served to you only (signed-in session); null when none."
    )
    created = serializers.DateTimeField(read_only=True)
    updated = serializers.DateTimeField(read_only=True)

    def get_reference_image(self, persona: Persona) -> str | None:
        return reverse("personas:reference", args=[persona.id]) if persona.reference_image else None


class PersonaPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PersonaSerializer(many=True)


class PersonaReferenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A JPEG, PNG or WebP image (checked by its content), at most 10 MB and 4096 x 4096 pixels."
    )
