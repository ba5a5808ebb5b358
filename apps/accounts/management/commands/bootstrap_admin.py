"""Create or align the auto-created admin from SEIDRA_DEFAULT_USER / SEIDRA_DEFAULT_USER_PASSWORD."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import BootstrapOutcome, default_admin_bootstrap
from apps.core.errors import SeidraError

_MESSAGES = {
    BootstrapOutcome.CREATED: "Created the admin account '{username}'.",
    BootstrapOutcome.CREATED_DISABLED: "Created the admin account '{username}', disabled.",
    BootstrapOutcome.DISABLED: "Disabled the admin account '{username}'.",
    BootstrapOutcome.UNCHANGED: "The admin account '{username}' is up to date.",
    BootstrapOutcome.ENABLED: "Enabled the admin account '{username}'.",
    BootstrapOutcome.PASSWORD_UPDATED: "Updated the password of '{username}' from SEIDRA_DEFAULT_USER_PASSWORD.",
    BootstrapOutcome.ENVIRONMENT_OUTDATED: "Left the admin account '{username}' as it is.",
}


class Command(BaseCommand):
    help = (
        "Create the default admin (SEIDRA_DEFAULT_USER, default 'admin') as staff and superuser, "
        "with the password in SEIDRA_DEFAULT_USER_PASSWORD (12+ characters, not demo/password/changeme). "
        "Without the variable the account exists but is disabled. Safe to run at every start: "
        "a password changed later (rotation, the user) is never overwritten by an old value."
    )

    def handle(self, *args, **options) -> None:
        username = settings.SEIDRA_DEFAULT_USER
        try:
            report = default_admin_bootstrap(username=username, password=settings.SEIDRA_DEFAULT_USER_PASSWORD)
        except SeidraError as error:
            raise CommandError(error.message) from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        self.stdout.write(_MESSAGES[report.outcome].format(username=username))
