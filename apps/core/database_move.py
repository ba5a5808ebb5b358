"""Move an install's rows from its SQLite file to an empty PostgreSQL database (`manage.py move_to_postgres`).

What is copied, table by table (every installed model, the auto-created many-to-many tables included):
- every row, with its primary key (ids and UUIDs stay what links, tokens and scripts already hold),
  by the ORM in one transaction on the target: PostgreSQL checks the foreign keys at commit
  (Django creates them DEFERRABLE INITIALLY DEFERRED), so the order of the tables does not matter.
  Rows are inserted raw, as `loaddata` does: no save() override and no signal runs.
- content types and permissions too, replacing the ones `migrate` created on the target: their ids
  differ from the source's, and permissions of users and groups and the admin's log point at them by id.
  Copying them as they are keeps every such reference true, without translating each by natural key.
- not the sessions (`sessions.Session`): they are disposable, and everyone signs in again after the move.
- django-axes' attempts and logs, the JWT blacklist (a revoked token stays revoked), allauth's
  addresses: copied like any table.
Text that SQLite stored and PostgreSQL refuses (NUL, 0x00; a lone UTF-16 surrogate in JSON, which jsonb
refuses) has each such character replaced by U+FFFD (apps/core/text.py `text_scrub`), and the rows
changed are counted per table: rows stored before input was checked may hold them.
Then each table's id sequence is set past the highest copied id (what `sqlsequencereset` prints),
and the row count of every table is compared between the two databases.
Media files are not touched: the rows name them relative to MEDIA_ROOT, which stays the same.
"""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import environ
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError, OperationalError

from .text import text_scrub

SOURCE = "move_source"
TARGET = "move_target"
BATCH_SIZE = 1000
# Disposable rows: not copied (see the module's docstring).
EXCLUDED = {"sessions.session"}
# Rows `migrate` creates on any database, replaced by the source's own.
REPLACED = ("auth.permission", "contenttypes.contenttype")
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


class MoveError(Exception):
    """A reason the move cannot start or did not complete, in one line for the operator."""


@dataclass
class TableCopy:
    label: str
    rows: int
    scrubbed: int = 0


@dataclass
class MoveReport:
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def _first_line(error: Exception) -> str:
    """The database's message in one line (psycopg's carry a detail and a hint below), or the error's type."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _configured(config: dict) -> dict:
    """A database's settings with Django's defaults filled in, as for one named in DATABASES."""
    return connections.configure_settings({DEFAULT_DB_ALIAS: {}, "new": dict(config)})["new"]


def databases_register(*, source_path: Path, target_url: str) -> None:
    """Name the SQLite file and the PostgreSQL database as two more connections of this process."""
    try:
        import psycopg  # noqa: F401 - only to say clearly that the driver is missing
    except ImportError:
        raise MoveError("psycopg is not installed: install requirements/base.txt (psycopg[binary]).") from None
    if not target_url.startswith(POSTGRES_SCHEMES):
        raise MoveError("--to must be a PostgreSQL URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE")
    if not source_path.is_file():
        raise MoveError(f"No SQLite database at {source_path}.")
    connections.settings[SOURCE] = _configured({"ENGINE": "django.db.backends.sqlite3", "NAME": str(source_path)})
    connections.settings[TARGET] = _configured(environ.Env.db_url_config(target_url))


def target_describe() -> str:
    """The target as the operator named it, without its password."""
    config = connections.settings[TARGET]
    return f"{config['NAME']} on {config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"


def target_connect() -> None:
    try:
        connections[TARGET].ensure_connection()
    except OperationalError as error:
        raise MoveError(f"Cannot connect to the target database: {_first_line(error)}") from None


def source_unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connections[SOURCE])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def copied_models() -> list[type[models.Model]]:
    """Every table this install stores rows in: concrete, managed models, many-to-many tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in EXCLUDED
    ]


def target_tables_with_rows() -> list[str]:
    """Tables of this project that already hold rows on the target (content types and permissions
    aside: any `migrate` creates those)."""
    connection = connections[TARGET]
    existing = set(connection.introspection.table_names())
    holding = []
    for model in copied_models():
        table = model._meta.db_table
        if model._meta.label_lower in REPLACED or table not in existing:
            continue
        if model._base_manager.using(TARGET).exists():
            holding.append(table)
    return holding


def target_migrate(target_url: str) -> None:
    """`migrate` in a process of its own whose default database is the target: a data migration that
    uses the default manager (not `schema_editor.connection.alias`) then writes there, never to the source."""
    environment = {**os.environ, "DATABASE_URL": target_url, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise MoveError(f"migrate failed on the target: {lines[-1] if lines else done.returncode}")


def _batches(queryset, size: int) -> Iterator[list]:
    rows = queryset.iterator(chunk_size=size)
    while batch := list(islice(rows, size)):
        yield batch


_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _scrub(instance: models.Model, text_fields: list[models.Field]) -> bool:
    """Replace NUL (and lone surrogates) in the instance's text and JSON values; True if any was."""
    changed = False
    for model_field in text_fields:
        value = getattr(instance, model_field.attname)
        if isinstance(value, str | list | dict):
            clean = text_scrub(value)
            if clean != value:
                setattr(instance, model_field.attname, clean)
                changed = True
    return changed


def _table_copy(model: type[models.Model]) -> TableCopy:
    text_fields = [item for item in model._meta.concrete_fields if isinstance(item, _TEXT_FIELDS)]
    copy = TableCopy(label=model._meta.label, rows=0)
    for batch in _batches(model._base_manager.using(SOURCE).order_by("pk"), BATCH_SIZE):
        copy.scrubbed += sum(_scrub(instance, text_fields) for instance in batch)
        model._base_manager.using(TARGET).bulk_create(batch, batch_size=BATCH_SIZE)
        copy.rows += len(batch)
    return copy


def _sequences_reset(tables: list[type[models.Model]]) -> None:
    connection = connections[TARGET]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), tables):
            cursor.execute(statement)


def rows_copy(progress: Callable[[TableCopy], None]) -> MoveReport:
    """Copy every table in one transaction: a failure leaves the target's tables empty, ready for another try."""
    report = MoveReport()
    tables = copied_models()
    current = "content types"
    try:
        with transaction.atomic(using=TARGET):
            for label in REPLACED:  # permissions first: they point at the content types
                apps.get_model(label)._base_manager.using(TARGET).all().delete()
            for model in tables:
                current = model._meta.label
                copy = _table_copy(model)
                report.tables.append(copy)
                progress(copy)
            current = "the id sequences"
            _sequences_reset(tables)
    except DatabaseError as error:  # at commit too: a foreign key pointing at a missing row
        raise MoveError(f"The copy failed at {current} and was rolled back: {_first_line(error)}") from None
    return report


def counts_compare() -> list[str]:
    """Tables whose row counts differ between the source and the target, with both counts."""
    differing = []
    for model in copied_models():
        source = model._base_manager.using(SOURCE).count()
        target = model._base_manager.using(TARGET).count()
        if source != target:
            differing.append(f"{model._meta.label}: {source} in SQLite, {target} in PostgreSQL")
    return differing


def databases_close() -> None:
    for alias in (SOURCE, TARGET):
        if alias in connections.settings:
            connections[alias].close()
