"""Shapes of the jobs API.

The image request body is built from the one request model (apps.catalog.request ImageRequest: its
fields, types, labels and help texts) with the bounds of apps.catalog.limits, so a parameter is
never written here again. Validation stays in apps.catalog.parameters (shared with the page form):
the request serializer describes the body for the OpenAPI schema and is not used to validate it, so
the API and the form can never disagree about what is accepted. The job serializer renders
`job_state()`, the same shape live events carry.
"""

import types
from dataclasses import MISSING, Field, fields

from rest_framework import serializers

from apps.catalog.limits import (
    DEMO_MODEL_DEFAULTS,
    DEMO_MODEL_SIDES,
    DEMO_MODEL_STEPS,
    FIELD_BOUNDS,
    FIELD_INCREMENTS,
    LORA_WEIGHT_RANGE,
    REAL_MODEL_DEFAULTS,
    REAL_MODEL_SIDES,
    SIZE_STEP,
    STEPS_RANGE,
)
from apps.catalog.parameters import MAX_LORAS, MAX_PROMPT_CHARS, SCHEDULERS
from apps.catalog.request import ImageRequest
from apps.catalog.video_request import (
    DURATION_RANGE,
    ENGINE_OPTIONS,
    EXPRESSION_SCALE_RANGE,
    POSE_STYLE_RANGE,
    PREPROCESS_CHOICES,
    SIZES,
    VideoRequest,
)
from apps.core.api_schema import IntegerStepField
from apps.gallery.models import MediaKind, ModerationState

from .events import job_state
from .models import Job, JobKind, JobStatus, RetrySeed

CPU_LIMITS_HELP = (
    "A worker generating on the CPU refuses jobs over SEIDRA_CPU_MAX_PIXELS (width x height x batch_size) "
    "or SEIDRA_CPU_MAX_STEPS; with SEIDRA_DEVICE=cpu they are refused here with a 400 (local models only)."
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
# What the API says beyond the request model's help texts (those are written for the page too).
API_NOTES = {
    "model": "GET /api/models lists them; omitted or null: the server's default model (an empty name is refused). "
    "A ComfyUI checkpoint or a workflow template runs on the ComfyUI servers; a template takes no LoRAs.",
    "loras": "Each LoRA at most once, installed for the model's engine (a ComfyUI model needs a kohya-format "
    "LoRA listed by a server that has the model).",
    "width": SIZE_HELP,
    "height": SIZE_HELP,
    "steps": STEPS_HELP,
    "seed": "Null or omitted counts as empty: the worker draws it and returns it in outputs[].seed.",
    "persona": "One of your personas (GET /api/personas): its template, negative prompt, LoRAs and defaults "
    "compose the job's parameters, the fields you send win (README, Personas). The job's `parameters` "
    "hold the composed prompt and `persona` {id, name}.",
}
# Left out, these take the chosen model's defaults (or the default model): optional in the body.
MODEL_DEFAULTED = ("model", "width", "height", "steps")


class GenerationLoraSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="An installed LoRA; GET /api/models lists them.")
    weight = serializers.FloatField(
        default=1.0, min_value=LORA_WEIGHT_RANGE[0], max_value=LORA_WEIGHT_RANGE[1], help_text="Strength of the LoRA."
    )


def _optional(item: Field) -> bool:
    return isinstance(item.type, types.UnionType) and type(None) in item.type.__args__


def _request_field(item: Field) -> serializers.Field:
    """The body field of one ImageRequest field: its type, label, help, default and bounds."""
    name = item.name
    help_text = " ".join(part for part in (item.metadata["help"], API_NOTES.get(name, "")) if part)
    options = {"label": item.metadata["label"], "help_text": help_text or None}
    if name in MODEL_DEFAULTED or item.default is None:
        options["required"] = False
    elif item.default not in (MISSING, ""):
        options["default"] = item.default
    elif item.default == "":
        options.update(required=False, allow_blank=True)
    if _optional(item) or name == "model":  # a null model is the default model
        options["allow_null"] = True
    if name == "persona":  # the request names one of the owner's personas; the job records {id, name}
        return serializers.UUIDField(**options)
    if name == "loras":
        options.pop("default", None)
        return GenerationLoraSerializer(many=True, required=False, max_length=MAX_LORAS, **options)
    if name == "scheduler":
        return serializers.ChoiceField(choices=list(SCHEDULERS.items()), **options)
    if name in FIELD_BOUNDS:
        low, high = FIELD_BOUNDS[name]
        kind = float if item.type is float else int
        if kind is float:
            return serializers.FloatField(min_value=low, max_value=high, **options)
        if FIELD_INCREMENTS[name] > 1:
            return IntegerStepField(step=FIELD_INCREMENTS[name], min_value=low, max_value=high, **options)
        return serializers.IntegerField(min_value=low, max_value=high, **options)
    if name in ("prompt", "negative_prompt"):
        options["max_length"] = MAX_PROMPT_CHARS
    return serializers.CharField(**options)


# Every field of the request model, in its order: a new parameter appears here by itself.
ImageGenerationSerializer = type(
    "ImageGenerationSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "The body of POST /api/generation/image (apps.catalog.request.ImageRequest).",
        **{item.name: _request_field(item) for item in fields(ImageRequest)},
    },
)


class JobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(
        choices=MediaKind.choices,
        help_text='"image"; a video job gives a "video" and its sound as an "audio" of its own.',
    )
    url = serializers.CharField(
        help_text="The file (PNG, MP4 with H.264 + AAC, or the audio track), served to the job's owner only "
        "(signed-in session)."
    )
    webm_url = serializers.CharField(allow_null=True, help_text="A video's WebM (VP9 + Opus); null otherwise.")
    poster_url = serializers.CharField(allow_null=True, help_text="A video's poster frame (JPEG); null otherwise.")
    duration = serializers.FloatField(allow_null=True, help_text="Seconds, of a video or an audio track; else null.")
    thumbnail = serializers.CharField(
        allow_blank=True, help_text='A small WebP of it (256 pixels wide), for lists; "" for an audio track.'
    )
    srcset = serializers.CharField(allow_blank=True, help_text="Every thumbnail with its width, for <img srcset>.")
    width = serializers.IntegerField(help_text="Pixels; 0 for an audio track.")
    height = serializers.IntegerField(help_text="Pixels; 0 for an audio track.")
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
    total = serializers.IntegerField(help_text="Denoising steps of the whole job; 100 for a video job (its stages).")
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
    engine_label = serializers.CharField(
        help_text="What makes the job's results: the image engine, or the video engine (the local one says "
        '"approximate mouth motion, not neural lip-sync").'
    )
    outputs = JobOutputSerializer(
        many=True, help_text="The images, or the video and its audio track, once the job has finished."
    )
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


# --- POST /api/generation/video ------------------------------------------------------------------

VIDEO_OPTIONS_NOTE = {
    name: f"Used by: {', '.join(engine for engine, names in ENGINE_OPTIONS.items() if name in names)}. "
    "Set away from its default while the server's engine does not use it: 400 naming it."
    for name in ("size", "still", "enhancer", "preprocess", "pose_style", "expression_scale")
}
CHARACTER_NOTE = (
    "At most one of reference_image, reference_image_url, reference_media_id and persona (several: 400 "
    "`non_field_errors`). None (or a persona without a reference image): a front-facing portrait is generated "
    "first from the prompt (and the persona) with the default image model."
)


def _video_field(item: Field) -> serializers.Field:
    """The body field of one VideoRequest option: its label, help, default and bounds."""
    help_text = " ".join(part for part in (str(item.metadata["help"]), VIDEO_OPTIONS_NOTE.get(item.name, "")) if part)
    options = {"label": item.metadata["label"], "help_text": help_text}
    if item.default is not MISSING:
        options["default"] = item.default
    if item.name == "prompt":
        return serializers.CharField(max_length=MAX_PROMPT_CHARS, **options)
    if item.name == "duration":
        return serializers.FloatField(min_value=DURATION_RANGE[0], max_value=DURATION_RANGE[1], **options)
    if item.name == "size":
        return serializers.ChoiceField(choices=list(SIZES), **options)
    if item.name == "preprocess":
        return serializers.ChoiceField(choices=list(PREPROCESS_CHOICES), **options)
    if item.name == "pose_style":
        return serializers.IntegerField(min_value=POSE_STYLE_RANGE[0], max_value=POSE_STYLE_RANGE[1], **options)
    if item.name == "expression_scale":
        low, high = EXPRESSION_SCALE_RANGE
        return serializers.FloatField(min_value=low, max_value=high, **options)
    return serializers.BooleanField(**options)


VIDEO_REQUEST_FIELDS = (
    "prompt",
    "duration",
    "size",
    "still",
    "enhancer",
    "preprocess",
    "pose_style",
    "expression_scale",
)

VideoGenerationSerializer = type(
    "VideoGenerationSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "The multipart body of POST /api/generation/video (apps.catalog.video_request.VideoRequest).",
        **{item.name: _video_field(item) for item in fields(VideoRequest) if item.name in VIDEO_REQUEST_FIELDS},
        "audio": serializers.FileField(
            help_text="The speech: a wav, mp3 or ogg file, recognised by its content (never its name) and decoded "
            "with ffmpeg; at most SEIDRA_MAX_AUDIO_MB (20 MB by default). Longer than `duration`: cut; shorter: "
            "padded with silence. The job's parameters keep both figures (`duration`, `audio.seconds`)."
        ),
        "reference_image": serializers.FileField(
            required=False,
            help_text="The character, uploaded: JPEG, PNG or WebP (checked by content), at most 10 MB and 4096 x "
            "4096 pixels; a front-facing face. " + CHARACTER_NOTE,
        ),
        "reference_image_url": serializers.URLField(
            required=False,
            help_text="The character at a public http(s) address, fetched once at submit: private, loopback, "
            "link-local and metadata addresses are refused, after every redirect too (at most 3); same checks "
            "as an upload; SEIDRA_REFERENCE_FETCH_TIMEOUT seconds at most.",
        ),
        "reference_media_id": serializers.UUIDField(
            required=False, help_text="One of your gallery images (GET /api/media) as the character."
        ),
        "persona": serializers.UUIDField(
            required=False,
            help_text="One of your personas (GET /api/personas): its reference image is the character; without "
            "one, the generated portrait follows its template. The job's `parameters.persona` records {id, name}.",
        ),
    },
)
