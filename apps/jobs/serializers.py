"""Shapes of the jobs API.

Validation of generation parameters stays in apps.catalog.parameters (shared with the page form):
the request serializers here describe the body for the OpenAPI schema and are not used to
validate it, so the API and the form can never disagree about what is accepted. The job
serializer renders `job_state()`, the same shape live events carry.
"""

from rest_framework import serializers

from apps.catalog.limits import DEMO_MODEL_DEFAULTS, REAL_MODEL_DEFAULTS
from apps.catalog.parameters import (
    BATCH_RANGE,
    DEFAULT_SCHEDULER,
    DEFAULTS,
    DEMO_MODEL_SIDES,
    DEMO_MODEL_STEPS,
    GUIDANCE_RANGE,
    LORA_WEIGHT_RANGE,
    MAX_LORAS,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    REAL_MODEL_SIDES,
    SCHEDULERS,
    SIZE_STEP,
    STEPS_RANGE,
    WIDEST_SIDES,
    WIDEST_STEPS,
)
from apps.core.api_schema import IntegerStepField
from apps.gallery.models import ModerationState

from .events import job_state
from .models import Job, JobKind, JobStatus, RetrySeed

CPU_LIMITS_HELP = (
    "A worker generating on the CPU refuses jobs over SEIDRA_CPU_MAX_PIXELS (width x height x batch_size) "
    "or SEIDRA_CPU_MAX_STEPS; with SEIDRA_DEVICE=cpu they are refused here with a 400."
)
SIZE_HELP = (
    f"Pixels, a multiple of {SIZE_STEP}: {REAL_MODEL_SIDES[0]}..{REAL_MODEL_SIDES[1]} for SDXL checkpoints "
    f"(omitted: {REAL_MODEL_DEFAULTS.width}x{REAL_MODEL_DEFAULTS.height}), "
    f"{DEMO_MODEL_SIDES[0]}..{DEMO_MODEL_SIDES[1]} for the demo model "
    f"(omitted: {DEMO_MODEL_DEFAULTS.width}x{DEMO_MODEL_DEFAULTS.height}). " + CPU_LIMITS_HELP
)
STEPS_HELP = (
    f"{STEPS_RANGE[0]}..{STEPS_RANGE[1]} for SDXL checkpoints (omitted: {REAL_MODEL_DEFAULTS.steps}), "
    f"{DEMO_MODEL_STEPS[0]}..{DEMO_MODEL_STEPS[1]} for the demo model (omitted: {DEMO_MODEL_DEFAULTS.steps}). "
    + CPU_LIMITS_HELP
)


class GenerationLoraSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="An installed LoRA; GET /api/models lists them.")
    weight = serializers.FloatField(
        default=1.0, min_value=LORA_WEIGHT_RANGE[0], max_value=LORA_WEIGHT_RANGE[1], help_text="Strength of the LoRA."
    )


def _side_field() -> IntegerStepField:
    """Width or height: optional (the model's default), a multiple of SIZE_STEP within any model's bounds."""
    return IntegerStepField(
        step=SIZE_STEP, required=False, min_value=WIDEST_SIDES[0], max_value=WIDEST_SIDES[1], help_text=SIZE_HELP
    )


class ImageGenerationSerializer(serializers.Serializer):
    prompt = serializers.CharField(max_length=MAX_PROMPT_CHARS)
    negative_prompt = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PROMPT_CHARS)
    model = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="An installed checkpoint; omitted or null: the server's default model (an empty name is refused).",
    )
    loras = GenerationLoraSerializer(
        many=True, required=False, max_length=MAX_LORAS, help_text="Each LoRA at most once."
    )
    width = _side_field()
    height = _side_field()
    steps = serializers.IntegerField(
        required=False, min_value=WIDEST_STEPS[0], max_value=WIDEST_STEPS[1], help_text=STEPS_HELP
    )
    guidance = serializers.FloatField(
        default=DEFAULTS["guidance"], min_value=GUIDANCE_RANGE[0], max_value=GUIDANCE_RANGE[1]
    )
    scheduler = serializers.ChoiceField(choices=list(SCHEDULERS.items()), default=DEFAULT_SCHEDULER)
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_SEED,
        help_text="Null or omitted: a random seed, drawn by the worker and returned in outputs[].seed.",
    )
    batch_size = serializers.IntegerField(
        default=DEFAULTS["batch_size"], min_value=BATCH_RANGE[0], max_value=BATCH_RANGE[1]
    )
    persona = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="One of your personas (GET /api/personas): its template, negative prompt, LoRAs and defaults "
        "compose the job's parameters, the fields you send win (README, Personas). The job's `parameters` "
        "hold the composed prompt and `persona` {id, name}.",
    )


class JobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField(help_text="The file, served to the job's owner only (signed-in session).")
    thumbnail = serializers.CharField(help_text="A small WebP of it (256 pixels wide), for lists.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    seed = serializers.IntegerField(allow_null=True)
    flagged = serializers.BooleanField(help_text="Scored at or above SEIDRA_NSFW_THRESHOLD by the NSFW detector.")
    moderation = serializers.ChoiceField(
        choices=ModerationState.choices,
        help_text='"" not reviewed, "approved" (shown as any image), "hidden" by a moderator (gone from your gallery).',
    )


class JobSerializer(serializers.Serializer):
    """A job as in live events (`job_state`), plus the validated parameters it runs with."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=JobKind.choices)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.FloatField(min_value=0, max_value=1, help_text="0..1; 1 once SUCCEEDED.")
    step = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Denoising steps of the whole job.")
    eta = serializers.FloatField(allow_null=True, help_text="Seconds left, while RUNNING.")
    stage = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True, help_text="Why a FAILED job failed, and what to do.")
    attempts = serializers.IntegerField()
    seed = serializers.IntegerField(
        allow_null=True, help_text="The requested seed; null when random (each output's `seed` is the one drawn)."
    )
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    queue_position = serializers.IntegerField(
        allow_null=True,
        help_text="While QUEUED: 1 for the first of your waiting jobs in queue order, 2 for the next... "
        "Null otherwise, or while a worker is taking it.",
    )
    jobs_ahead = serializers.IntegerField(
        allow_null=True,
        help_text="While QUEUED: jobs served before this one, all users' (waiting ahead of it, and running). "
        "Null when not queued.",
    )
    live_workers = serializers.IntegerField(
        allow_null=True,
        help_text="While QUEUED: workers alive to run the queue; 0 means none is running, so the job waits "
        "until one starts. Null when not queued.",
    )
    outputs = JobOutputSerializer(many=True, help_text="The images, once the job has finished.")
    parameters = serializers.DictField(
        help_text="The validated request: defaults filled in, names normalised; seed null when random."
    )

    def to_representation(self, job: Job) -> dict:
        # job_state is the one client-facing shape (events, resume snapshot); the API adds the parameters
        # so a client can see what a job (or its retry) runs with.
        # The view gives `queue_places` (apps.jobs.selectors.job_queue_places) for where QUEUED jobs wait.
        place = self.context.get("queue_places", {}).get(str(job.pk))
        return {**job_state(job, queue_place=place), "parameters": job.parameters}


class JobPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = JobSerializer(many=True)


class JobRetrySerializer(serializers.Serializer):
    seed = serializers.ChoiceField(
        choices=RetrySeed.values,
        default=RetrySeed.SAME,
        help_text="`same` (default) or `new`.",
    )


class JobListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=JobKind.choices, required=False)
