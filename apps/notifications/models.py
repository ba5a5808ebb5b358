"""In-app notifications: system alerts (demo-account rotation) now, job outcomes later."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NotificationLevel(models.TextChoices):
    INFO = "info", _("Information")
    SUCCESS = "success", _("Success")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    level = models.CharField(
        _("level"), max_length=16, choices=NotificationLevel.choices, default=NotificationLevel.INFO
    )
    # Title and body are English source text, translated when shown (see the templates), so a
    # French user reads a system alert in French even though it was stored once.
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # Identifies a standing condition (e.g. "demo-rotation") so it is raised once, not at every check.
    key = models.CharField(_("key"), max_length=64, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "is_read", "-created"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=Q(is_read=False) & ~Q(key=""), name="notification_one_unread_per_key"
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"
