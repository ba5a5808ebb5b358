"""Rotate the default (demo) admin's password and print the new secret once."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import default_admin_rotate
from apps.core.errors import SeidraError


class Command(BaseCommand):
    help = (
        "Give the default admin a new random passphrase (30+ characters), enable the account, end its "
        "sessions and invalidate its API tokens. The secret is printed once on stdout and stored nowhere "
        "else: keep it, then update SEIDRA_DEFAULT_USER_PASSWORD wherever it is set."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--user",
            default=None,
            help=f"Account to rotate (default: SEIDRA_DEFAULT_USER, currently '{settings.SEIDRA_DEFAULT_USER}').",
        )

    def handle(self, *args, user: str | None, **options) -> None:
        username = user or settings.SEIDRA_DEFAULT_USER
        try:
            secret = default_admin_rotate(username=username)
        except SeidraError as error:
            raise CommandError(error.message) from None
        self.stderr.write(
            f"Rotated the password of '{username}'; its sessions and tokens are revoked. "
            "New password (shown once), then update SEIDRA_DEFAULT_USER_PASSWORD:"
        )
        # Only the secret on stdout, so `make rotate-demo-user > file` or a pipe captures just it.
        self.stdout.write(secret)
