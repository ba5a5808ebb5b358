"""Generated outputs. Files are private: served to their owner only (apps.gallery.views)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


def media_upload_to(media: "Media", filename: str) -> str:
    # Per-owner folders keep a user's files together for backups and deletion.
    return f"outputs/{media.owner_id}/{media.created:%Y/%m}/{filename}"


class Media(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="outputs")
    # Position in the job's batch: with the job, it makes "stored twice" impossible.
    index = models.PositiveSmallIntegerField(_("index in the job"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=MediaKind.choices, default=MediaKind.IMAGE)
    file = models.FileField(_("file"), upload_to=media_upload_to, max_length=300)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict)
    created = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        ordering = ["-created", "index"]
        verbose_name = _("media")
        verbose_name_plural = _("media")
        indexes = [models.Index(fields=["owner", "-created"], name="media_owner_created")]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="media_once_per_job_index")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"
