"""The notifications area of the shell: unread count and the latest few, on every page."""

from django.http import HttpRequest

from .selectors import notification_list, notification_unread_count
from .services import rotation_alert_refresh

LATEST_IN_MENU = 5


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    rotation_alert_refresh(user=user)
    return {
        "notifications_latest": list(notification_list(user=user, unread_only=True)[:LATEST_IN_MENU]),
        "notifications_unread_count": notification_unread_count(user=user),
    }
