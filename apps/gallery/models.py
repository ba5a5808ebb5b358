"""Generated outputs. Files are private: served to their owner and staff only (apps.gallery.views).

The gallery knows a job only by a string foreign key: it imports nothing from apps.jobs, so jobs,
personas and moderation can all sit above it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")


class ModerationState(models.TextChoices):
    NOT_REVIEWED = "", _("Not reviewed")
    APPROVED = "approved", _("Approved")
    # Gone from the owner's gallery; they are told why (Media.moderation_reason) by a notification.
    HIDDEN = "hidden", _("Hidden")


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
    file_size = models.PositiveBigIntegerField(_("size in bytes"), default=0)  # every stored file; quotas add these
    # Videos and audio tracks: the length in seconds (None for images).
    duration = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    # Videos: the frame shown before playing (JPEG; thumbnails are made from it), and the WebM (VP9 +
    # Opus) beside `file`, the MP4 (H.264 + AAC) every browser plays.
    poster = models.FileField(_("poster"), upload_to=media_upload_to, max_length=300, blank=True)
    webm_file = models.FileField(_("WebM file"), upload_to=media_upload_to, max_length=300, blank=True)
    created = models.DateTimeField(_("created"), db_index=True)
    # The owner's own marks.
    favourite = models.BooleanField(_("favourite"), default=False)
    tags = models.JSONField(_("tags"), default=list, blank=True)  # short strings, see services
    # Copied from `parameters` when stored, so the grid's filters are plain column lookups on every
    # database (a JSON list of LoRAs cannot be searched the same way on SQLite and PostgreSQL).
    model_name = models.CharField(_("model"), max_length=200, blank=True, db_index=True)
    lora_names = models.CharField(_("LoRAs"), max_length=1200, blank=True)  # "|name|other|", matched on "|name|"
    persona_id = models.UUIDField(_("persona id"), null=True, blank=True, db_index=True)
    persona_name = models.CharField(_("persona"), max_length=100, blank=True)  # kept when the persona is deleted
    # NSFW detector (workers/nsfw): None = not scored (detector off, or not an image).
    nsfw_score = models.FloatField(_("NSFW score"), null=True, blank=True)
    nsfw_labels = models.JSONField(_("NSFW labels"), default=list, blank=True)  # [{"label": ..., "score": ...}]
    flagged = models.BooleanField(_("flagged"), default=False, db_index=True)  # score >= SEIDRA_NSFW_THRESHOLD
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=ModerationState.choices, default=ModerationState.NOT_REVIEWED,
        blank=True,
    )  # fmt: skip
    moderation_reason = models.TextField(_("moderation reason"), blank=True)

    class Meta:
        ordering = ["-created", "index"]
        verbose_name = _("media")
        verbose_name_plural = _("media")
        indexes = [
            models.Index(fields=["owner", "-created"], name="media_owner_created"),
            models.Index(fields=["flagged", "moderation", "-created"], name="media_moderation_queue"),
        ]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="media_once_per_job_index")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class ShareLink(models.Model):
    """A link to one media item that works without an account until it expires or is revoked.

    The URL carries a signed token (django.core.signing) naming this row: the signature and the
    expiry make it unguessable and time-limited, the row makes it revocable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="share_links", verbose_name=_("media"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("revoked by"),
    )  # fmt: skip

    class Meta:
        ordering = ["-created"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self) -> str:
        return f"share {self.id} of {self.media_id}"
