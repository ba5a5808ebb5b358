"""Move this install's rows from its SQLite file to an empty PostgreSQL database (apps/core/database_move.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core import database_move as move


def _default_source() -> Path | None:
    database = settings.DATABASES["default"]
    return Path(database["NAME"]) if database["ENGINE"] == "django.db.backends.sqlite3" else None


class Command(BaseCommand):
    help = (
        "Copy every row of an SQLite install into an empty PostgreSQL database: runs migrate there, "
        "refuses a target whose tables already hold rows (never overwrites), copies each table with "
        "its ids (sessions excepted: everyone signs in again), resets the id sequences and compares "
        "the row counts of every table. Stop the web and the workers and back the SQLite file up "
        "first; afterwards set DATABASE_URL to the target and start them again. Media files stay "
        "where they are (same MEDIA_ROOT)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--to", required=True, metavar="URL",
            help="The target: postgres://USER:PASSWORD@HOST:PORT/DATABASE (an empty database; create it first).",
        )  # fmt: skip
        parser.add_argument(
            "--from", dest="source", type=Path, default=None, metavar="PATH",
            help="The SQLite file to copy (default: the configured database, var/seidra.sqlite3 unless "
            "DATABASE_URL says otherwise).",
        )  # fmt: skip

    def handle(self, *args, to: str, source: Path | None, **options) -> None:
        source = source or _default_source()
        if source is None:
            raise CommandError("The configured database is not SQLite: name the SQLite file with --from PATH.")
        try:
            self._move(source.resolve(), to)
        except move.MoveError as error:
            raise CommandError(str(error)) from None
        finally:
            move.databases_close()

    def _move(self, source: Path, target_url: str) -> None:
        move.databases_register(source_path=source, target_url=target_url)
        move.target_connect()
        target = move.target_describe()
        unapplied = move.source_unapplied_migrations()
        if unapplied:
            raise move.MoveError(
                f"{source} is not fully migrated ({len(unapplied)} migrations, first {unapplied[0]}): "
                "run `manage.py migrate` on it first."
            )
        holding = move.target_tables_with_rows()
        if holding:
            raise move.MoveError(
                f"The target {target} is not empty ({', '.join(holding[:5])}{' ...' if len(holding) > 5 else ''} "
                "hold rows): give an empty database (createdb a new one); this command never overwrites."
            )
        self.stdout.write(f"Migrating {target} ...")
        move.target_migrate(target_url)
        self.stdout.write(f"Copying {source} -> {target}")

        def progress(table: move.TableCopy) -> None:
            note = f" ({table.scrubbed} with NUL or lone surrogates replaced by U+FFFD)" if table.scrubbed else ""
            self.stdout.write(f"  {table.label}: {table.rows} rows{note}")

        report = move.rows_copy(progress)
        differing = move.counts_compare()
        if differing:
            raise move.MoveError("Row counts differ after the copy: " + "; ".join(differing))
        self.stdout.write(
            self.style.SUCCESS(
                f"Moved {report.rows} rows in {len(report.tables)} tables; every table's count matches. "
                "Sessions were not copied: everyone signs in again."
            )
        )
        self.stdout.write(
            f"Media files stay in {settings.MEDIA_ROOT}. Next: set DATABASE_URL to the target for the web "
            "and every worker, then start them again."
        )
