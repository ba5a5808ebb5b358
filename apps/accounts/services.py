"""Writes on accounts: the default admin's bootstrap and rotation, sessions and tokens."""

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from apps.core.errors import SeidraError

from .models import NsfwDisplay, PasswordOrigin, User
from .passwords import default_password_problem, passphrase_generate


class BootstrapOutcome(enum.Enum):
    CREATED = "created"
    CREATED_DISABLED = "created-disabled"
    DISABLED = "disabled"
    UNCHANGED = "unchanged"
    ENABLED = "enabled"
    PASSWORD_UPDATED = "password-updated"
    ENVIRONMENT_OUTDATED = "environment-outdated"


@dataclass
class BootstrapReport:
    outcome: BootstrapOutcome
    user: User
    warnings: list[str] = field(default_factory=list)


def _disabled_warning(username: str) -> str:
    return (
        f"SEIDRA_DEFAULT_USER_PASSWORD is not set: the account '{username}' exists but is disabled. "
        "Set it to a passphrase of 12+ characters and run `manage.py bootstrap_admin` (make run does)."
    )


@transaction.atomic
def default_admin_bootstrap(*, username: str, password: str) -> BootstrapReport:
    """Create or align the auto-created admin with the environment (seed section 3.4).

    A password that breaks the rules raises before anything is written. A password changed
    after creation (rotation, the user) wins over the environment value, which is then reported
    as outdated instead of being applied.
    """
    if password:
        problem = default_password_problem(password)
        if problem:
            raise SeidraError(problem)

    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        user = User(username=username, is_staff=True, is_superuser=True)
        if not password:
            user.set_unusable_password()
            user.is_active = False
            user.save()
            return BootstrapReport(BootstrapOutcome.CREATED_DISABLED, user, [_disabled_warning(username)])
        user.set_password(password, origin=PasswordOrigin.BOOTSTRAP)
        user.save()
        return BootstrapReport(BootstrapOutcome.CREATED, user)

    user.is_staff = user.is_superuser = True
    if not password:
        # The hash is kept: setting the same value again re-enables the account as it was.
        user.is_active = False
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
        return BootstrapReport(BootstrapOutcome.DISABLED, user, [_disabled_warning(username)])

    # hashers.check_password, not user.check_password: the latter may re-save the hash and
    # would then record the environment value as a password set by the user.
    if user.has_usable_password() and check_password(password, user.password):
        outcome = BootstrapOutcome.UNCHANGED if user.is_active else BootstrapOutcome.ENABLED
        user.is_active = True
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
        return BootstrapReport(outcome, user)

    if not user.has_usable_password() or user.password_origin == PasswordOrigin.BOOTSTRAP:
        # The operator changed the variable since the last bootstrap: it is the newer value.
        user.set_password(password, origin=PasswordOrigin.BOOTSTRAP)
        user.is_active = True
        user.save()
        user_refresh_tokens_revoke(user=user)
        return BootstrapReport(BootstrapOutcome.PASSWORD_UPDATED, user)

    changed = (
        timezone.localtime(user.password_changed_at).strftime("%Y-%m-%d %H:%M") if user.password_changed_at else "?"
    )
    warning = (
        f"The password of '{username}' was changed on {changed} ({user.get_password_origin_display().lower()}); "
        "SEIDRA_DEFAULT_USER_PASSWORD is out of date and was not applied. Update it to the current password."
    )
    user.save(update_fields=["is_staff", "is_superuser"])
    return BootstrapReport(BootstrapOutcome.ENVIRONMENT_OUTDATED, user, [warning])


@transaction.atomic
def default_admin_rotate(*, username: str) -> str:
    """Give the account a new random passphrase, enable it, end its sessions and tokens; return the secret."""
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise SeidraError(f"No user named '{username}': run `manage.py bootstrap_admin` first.", status=404)
    secret = passphrase_generate()
    user.set_password(secret, origin=PasswordOrigin.ROTATION)
    user.is_active = True
    user.save()
    user_sessions_end(user=user)
    user_refresh_tokens_revoke(user=user)
    return secret


def user_sessions_end(*, user: User) -> int:
    """Delete every live session of the user (Django also rejects them on the next request, as the
    password hash changed, but a rotation should not depend on that). Returns how many ended."""
    user_id = str(user.pk)
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()
            ended += 1
    return ended


def user_refresh_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user. Access tokens die on their own:
    they carry a digest of the password hash (SIMPLE_JWT CHECK_REVOKE_TOKEN)."""
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
    revoked = 0
    for token in outstanding.exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)
        revoked += 1
    return revoked


def access_token_create(*, username: str, hours: float) -> str:
    """An access token for scripts (replaces the seed's Python snippet)."""
    if not 0 < hours <= 24 * 366:
        raise SeidraError("--hours must be between 0 and 8784 (one year).")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise SeidraError(f"No user named '{username}'.", status=404)
    if not user.is_active:
        raise SeidraError(f"The account '{username}' is disabled: enable it first (bootstrap_admin or the admin).")
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(hours=hours))
    return str(token)


def user_preferences_update(*, user: User, nsfw_display: str) -> User:
    """The user's display choices (for now: how flagged media are shown, apps.gallery.display)."""
    if nsfw_display not in NsfwDisplay.values:
        raise SeidraError(_("nsfw_display must be hide, blur or show."), status=400)
    user.nsfw_display = nsfw_display
    user.save(update_fields=["nsfw_display"])
    return user
