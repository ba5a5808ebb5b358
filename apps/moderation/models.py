"""Moderation: the prompt blocklist, the desk's view of flagged media, and the audit of every action."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.gallery.models import Media

from .blocklist import prompt_block_regex


class PromptBlock(models.Model):
    """A word or a regular expression that refuses a prompt before any job is created."""

    pattern = models.CharField(_("word or pattern"), max_length=300)
    is_regex = models.BooleanField(_("regular expression"), default=False)  # else: a whole word, any case
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pattern"]
        verbose_name = _("blocked prompt pattern")
        verbose_name_plural = _("prompt blocklist")

    def __str__(self) -> str:
        return self.pattern

    def clean(self) -> None:
        # Checked when staff save it (the admin's form), so the check on each prompt never meets a bad one.
        self.pattern = self.pattern.strip()
        if not self.pattern:
            raise ValidationError({"pattern": _("Write a word or a regular expression.")})
        try:
            expression = prompt_block_regex(pattern=self.pattern, is_regex=self.is_regex)
        except re.error as error:
            raise ValidationError(
                {"pattern": _("This is not a valid regular expression: %(error)s.") % {"error": error}}
            ) from None
        if expression.search(""):
            raise ValidationError(
                {"pattern": _("This expression matches an empty prompt, so it would block every prompt.")}
            )


class FlaggedMedia(Media):
    """The moderation desk's entry in the admin: the same rows as the gallery's media."""

    class Meta:
        proxy = True
        verbose_name = _("flagged media item")
        verbose_name_plural = _("moderation desk")


class ModerationActionKind(models.TextChoices):
    APPROVE = "approve", _("Approved")
    HIDE = "hide", _("Hidden")
    DELETE = "delete", _("Deleted")
    REVOKE_SHARE = "revoke_share", _("Share link revoked")


class ModerationAction(models.Model):
    """Who did what to which media item, and when. Kept when the media item is deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("staff")
    )
    action = models.CharField(_("action"), max_length=16, choices=ModerationActionKind.choices)
    media_id = models.UUIDField(_("media id"), db_index=True)  # not a foreign key: deleted media keep their entry
    media_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("owner")
    )
    reason = models.TextField(_("reason"), blank=True)
    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        return f"{self.action} {self.media_id}"
