"""Print a JWT access token for scripts (replaces the seed's Python snippet)."""

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import access_token_create
from apps.core.errors import SeidraError


class Command(BaseCommand):
    help = (
        "Print an access token for USER valid for --hours (default 12). Use it as "
        "'Authorization: Bearer <token>'. It stops working when the user's password changes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument("--hours", type=float, default=12.0, help="Lifetime in hours (default 12).")

    def handle(self, *args, user: str, hours: float, **options) -> None:
        try:
            token = access_token_create(username=user, hours=hours)
        except SeidraError as error:
            raise CommandError(error.message) from None
        self.stdout.write(token)
