"""Reads on accounts."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import User


def default_admin_get() -> User | None:
    return User.objects.filter(username=settings.SEIDRA_DEFAULT_USER).first()


def default_admin_rotation_due_since(*, now: datetime | None = None) -> datetime | None:
    """When the enabled default admin's password became older than SEIDRA_DEFAULT_USER_ROTATION_DAYS,
    or None while it is not (or the alert is disabled with 0)."""
    days = settings.SEIDRA_DEFAULT_USER_ROTATION_DAYS
    if days <= 0:
        return None
    admin = default_admin_get()
    if admin is None or not admin.is_active or admin.password_changed_at is None:
        return None
    due_since = admin.password_changed_at + timedelta(days=days)
    return due_since if due_since <= (now or timezone.now()) else None
