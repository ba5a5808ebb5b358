"""Writes on notifications, and the live push of new ones to the owner's open pages."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from apps.accounts.models import User
from apps.accounts.selectors import default_admin_rotation_due_since
from apps.core import metrics
from apps.core.errors import SeidraError

from .models import Notification, NotificationLevel

logger = logging.getLogger(__name__)

ROTATION_ALERT_KEY = "demo-rotation"
# Stored in English and translated when shown; gettext_noop marks them for the catalogs.
ROTATION_ALERT_TITLE = gettext_noop("Demo account rotation required")
ROTATION_ALERT_BODY = gettext_noop(
    "The default admin password is older than the rotation period. Run `make rotate-demo-user`, "
    "keep the new secret, then update SEIDRA_DEFAULT_USER_PASSWORD."
)


def user_notifications_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def _broadcast_created(notification: Notification) -> None:
    """Tell the owner's open pages; lossy by design (a reload re-reads the database)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_notifications_group(notification.user_id),
            {"type": "notification.created", "id": notification.pk},
        )
    except Exception:  # Redis down must not fail the write that created the notification
        logger.warning("could not push notification %s live", notification.pk, exc_info=True)


@transaction.atomic
def notification_create(
    *, user: User, title: str, body: str = "", level: str = NotificationLevel.INFO, link: str = "", key: str = ""
) -> Notification:
    notification = Notification.objects.create(user=user, title=title, body=body, level=level, link=link, key=key)
    transaction.on_commit(lambda: _broadcast_created(notification))
    transaction.on_commit(lambda: metrics.notifications_sent.labels(level=level).inc())
    return notification


def notification_dismiss(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise SeidraError("No such notification.", status=404)
    if not notification.is_read:
        notification.is_read = True
        notification.save(update_fields=["is_read"])
    return notification


def notification_dismiss_all(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).update(is_read=True)


def rotation_alert_refresh(*, user: User) -> None:
    """Raise the rotation alert once for a staff user when the default password becomes too old (a dismissed
    alert stays dismissed until the next period); withdraw an unread one once rotated. Writes only when
    the state changes, so it is cheap to call on every staff page view."""
    if not user.is_staff:
        return
    alerts = Notification.objects.filter(user=user, key=ROTATION_ALERT_KEY)
    due_since = default_admin_rotation_due_since()
    if due_since is not None:
        if not alerts.filter(created__gte=due_since).exists():
            try:
                notification_create(
                    user=user,
                    title=ROTATION_ALERT_TITLE,
                    body=ROTATION_ALERT_BODY,
                    level=NotificationLevel.WARNING,
                    key=ROTATION_ALERT_KEY,
                )
            except IntegrityError:
                pass  # a concurrent request raised it first
    elif alerts.filter(is_read=False).exists():
        alerts.filter(is_read=False).delete()
