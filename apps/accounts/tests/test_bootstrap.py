"""bootstrap_admin: the auto-created admin of seed section 3.4."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import PasswordOrigin, User

GOOD_PASSWORD = "violet-harbour-lantern-42"


def bootstrap(settings, password: str | None) -> tuple[str, str]:
    settings.SEIDRA_DEFAULT_USER_PASSWORD = password or ""
    out, err = StringIO(), StringIO()
    call_command("bootstrap_admin", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_absent_password_creates_a_disabled_admin_and_says_how_to_enable_it(settings):
    out, err = bootstrap(settings, None)
    admin = User.objects.get(username="admin")
    assert not admin.is_active
    assert admin.is_staff and admin.is_superuser
    assert not admin.has_usable_password()
    assert "SEIDRA_DEFAULT_USER_PASSWORD is not set" in err
    assert "12+ characters" in err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short-pw", "shorter than 12 characters"),
        ("PassWord", "blocked value"),
        ("CHANGEME", "blocked value"),
        ("Demo", "blocked value"),
    ],
)
def test_weak_or_blocked_password_is_refused_and_nothing_changes(settings, password, rule):
    bootstrap(settings, GOOD_PASSWORD)
    before = User.objects.get(username="admin")
    with pytest.raises(CommandError, match=rule):
        bootstrap(settings, password)
    after = User.objects.get(username="admin")
    assert after.password == before.password
    assert after.is_active


@pytest.mark.django_db
def test_refused_password_creates_no_account(settings):
    with pytest.raises(CommandError):
        bootstrap(settings, "password")
    assert not User.objects.filter(username="admin").exists()


def test_refusal_exits_non_zero_with_one_line_naming_the_rule(manage):
    result = manage("bootstrap_admin", env={"SEIDRA_DEFAULT_USER_PASSWORD": "ChangeMe"})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "blocked value" in lines[0]
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_valid_password_is_stored_hashed_and_never_printed_or_logged(settings, caplog):
    caplog.set_level(logging.DEBUG)
    out, err = bootstrap(settings, GOOD_PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.is_active and admin.is_staff and admin.is_superuser
    assert admin.password.startswith("argon2")
    assert admin.check_password(GOOD_PASSWORD)
    assert admin.password_origin == PasswordOrigin.BOOTSTRAP
    for text in (out, err, caplog.text, admin.password):
        assert GOOD_PASSWORD not in text


@pytest.mark.django_db
def test_rerun_is_idempotent(settings):
    bootstrap(settings, GOOD_PASSWORD)
    first = User.objects.get(username="admin")
    out, _ = bootstrap(settings, GOOD_PASSWORD)
    second = User.objects.get(username="admin")
    assert "up to date" in out
    assert second.password == first.password
    assert second.password_changed_at == first.password_changed_at
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_rotated_password_is_not_overwritten_by_the_old_environment_value(settings):
    bootstrap(settings, GOOD_PASSWORD)
    rotated = StringIO()
    call_command("rotate_demo_user", stdout=rotated, stderr=StringIO())
    secret = rotated.getvalue().strip()

    out, err = bootstrap(settings, GOOD_PASSWORD)

    admin = User.objects.get(username="admin")
    assert admin.check_password(secret)
    assert not admin.check_password(GOOD_PASSWORD)
    assert admin.is_active
    assert "out of date" in err and "Update it" in err


@pytest.mark.django_db
def test_a_new_environment_value_replaces_one_set_by_bootstrap(settings):
    bootstrap(settings, GOOD_PASSWORD)
    out, _ = bootstrap(settings, "another-strong-passphrase")
    admin = User.objects.get(username="admin")
    assert admin.check_password("another-strong-passphrase")
    assert "Updated the password" in out


@pytest.mark.django_db
def test_removing_the_variable_disables_and_restoring_it_enables(settings):
    bootstrap(settings, GOOD_PASSWORD)
    bootstrap(settings, None)
    assert not User.objects.get(username="admin").is_active
    out, _ = bootstrap(settings, GOOD_PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.is_active and admin.check_password(GOOD_PASSWORD)
    assert "Enabled" in out
