"""Moderation actions on media (the admin desk calls these): approve, hide, delete. Each writes one
ModerationAction (the audit log); hiding and deleting tell the owner why, by a notification."""

from django.db import transaction
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.gallery.models import Media, ModerationState
from apps.gallery.services import media_delete
from apps.notifications.models import NotificationLevel
from apps.notifications.services import notification_create

from .models import ModerationAction, ModerationActionKind

# Stored in English and translated when shown (a reason typed by staff is shown as typed).
DEFAULT_REASON = gettext_noop("It does not follow this server's content rules.")
NOTIFY_HIDDEN = gettext_noop("A moderator hid one of your images")
NOTIFY_DELETED = gettext_noop("A moderator deleted one of your images")


def _record(*, actor: User, action: str, media: Media, reason: str = "") -> ModerationAction:
    return ModerationAction.objects.create(
        actor=actor, action=action, media_id=media.pk, media_owner_id=media.owner_id, reason=reason
    )


@transaction.atomic
def moderation_approve(*, media: Media, actor: User) -> ModerationAction:
    """Reviewed and fine: shown to its owner as if it had not been flagged (apps.gallery.display)."""
    media.moderation, media.moderation_reason = ModerationState.APPROVED, ""
    media.save(update_fields=["moderation", "moderation_reason"])
    return _record(actor=actor, action=ModerationActionKind.APPROVE, media=media)


@transaction.atomic
def moderation_hide(*, media: Media, actor: User, reason: str = "") -> ModerationAction:
    """Gone from its owner's gallery and job lists (the file stays, for staff); the owner is told why."""
    reason = reason.strip() or DEFAULT_REASON
    media.moderation, media.moderation_reason = ModerationState.HIDDEN, reason
    media.save(update_fields=["moderation", "moderation_reason"])
    notification_create(user=media.owner, title=NOTIFY_HIDDEN, body=reason, level=NotificationLevel.WARNING)
    return _record(actor=actor, action=ModerationActionKind.HIDE, media=media, reason=reason)


@transaction.atomic
def moderation_delete(*, media: Media, actor: User, reason: str = "") -> ModerationAction:
    """The row and its files go (apps.gallery.services.media_delete); the entry in the log stays."""
    reason = reason.strip() or DEFAULT_REASON
    action = _record(actor=actor, action=ModerationActionKind.DELETE, media=media, reason=reason)
    notification_create(user=media.owner, title=NOTIFY_DELETED, body=reason, level=NotificationLevel.WARNING)
    media_delete(media=media)
    return action
