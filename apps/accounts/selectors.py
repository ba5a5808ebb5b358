"""Reads on accounts."""

import unicodedata
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from .models import User
from .usernames import username_key


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


def user_get_by_login_name(*, username: str) -> User | None:
    """The account a typed username signs in to: the one whose username_key is the typed one's.

    The database narrows the candidates (iexact folds ASCII case everywhere, all of Unicode on
    PostgreSQL); username_key decides. Two accounts with the same key (an admin may create `Bob`
    beside `bob`) are told apart only by an exact match; they share one lockout counter.
    """
    key = username_key(username)
    typed = unicodedata.normalize("NFKC", username).strip()
    candidates = [
        user
        for user in User.objects.filter(Q(username__iexact=typed) | Q(username__iexact=key))
        if username_key(user.username) == key
    ]
    exact = [user for user in candidates if user.username == typed]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def login_failures_from_address(*, address: str, since: datetime) -> int:
    """Failed logins from one client address since `since`, whatever the usernames, from axes' records."""
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
