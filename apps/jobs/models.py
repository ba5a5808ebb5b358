"""A generation job: the database row is the source of truth; Redis only carries it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.text import text_scrub


class JobKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


class JobStatus(models.TextChoices):
    QUEUED = "QUEUED", _("Queued")
    RUNNING = "RUNNING", _("Running")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")
    CANCELLED = "CANCELLED", _("Cancelled")


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class RetrySeed(models.TextChoices):
    """What a retry does with the seed: reuse the one the job ran with (requested or drawn), or draw anew."""

    SAME = "same"
    NEW = "new"


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(_("kind"), max_length=8, choices=JobKind.choices, default=JobKind.IMAGE)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # Validated by apps.catalog.parameters; the worker reads them from here (RQ carries the id only).
    parameters = models.JSONField(_("parameters"), default=dict)
    # Which engine runs it (apps.catalog.request.ENGINES), from the model at submit: it picks the RQ queue.
    engine = models.CharField(_("engine"), max_length=16, default="local")
    # What the engine recorded: for ComfyUI the server, the prompt id and the workflow sent.
    engine_details = models.JSONField(_("engine details"), default=dict, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)  # 0..1
    step = models.PositiveIntegerField(_("step"), default=0)
    total_steps = models.PositiveIntegerField(_("total steps"), default=0)
    eta_seconds = models.FloatField(_("ETA (seconds)"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=32, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    worker_name = models.CharField(_("worker"), max_length=128, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries", verbose_name=_("retry of")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["owner", "-created"], name="job_owner_created"),
            models.Index(fields=["owner", "status"], name="job_owner_status"),
            models.Index(fields=["status", "created"], name="job_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @classmethod
    def from_db(cls, db, field_names, values):
        job = super().from_db(db, field_names, values)
        # A row stored before input was checked (apps.core.text) may hold a lone surrogate, which no
        # page or JSON answer can encode: shown with U+FFFD instead, so it can still be opened and deleted.
        if "parameters" in job.__dict__:
            job.parameters = text_scrub(job.parameters)
        return job

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
