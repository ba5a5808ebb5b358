"""`manage.py move_to_postgres`: an SQLite install (users, jobs in several states, media with files,
a persona, notifications, a share link, a JWT) moved into a real PostgreSQL by a real process; then
the web, started on the moved database, signs its users in and serves their jobs, files and links.

Runs the same on either test database: the source is an SQLite file of its own, and the target a
database of this module's own PostgreSQL server (seidra/local_postgres.py)."""

import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

from seidra.local_postgres import PostgresServer
from tests.support.asgi_server import DaphneServer
from tests.support.processes import child_env
from tests.support.sqlite_install import NUL_BODY, PASSWORD, SURROGATE_NOTE

REPO_ROOT = Path(__file__).resolve().parents[3]
SKIPPED_TABLES = {"django_session", "sqlite_sequence", "django_migrations"}


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


def database_create(server: PostgresServer, name: str) -> str:
    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.database_url(name)


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env=child_env(DJANGO_SETTINGS_MODULE="seidra.settings.test", **env),
    )  # fmt: skip


@pytest.fixture
def sqlite_install(tmp_path, redis_url) -> dict:
    """A migrated SQLite file with rows and media files; its environment and what it holds."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'seidra.sqlite3'}",
        "SEIDRA_MEDIA_ROOT": str(tmp_path / "media"),
        "REDIS_URL": redis_url,
        "SEIDRA_TEST_FACTS": str(tmp_path / "facts.json"),
    }
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    populated = manage("shell", "-c", "from tests.support.sqlite_install import populate; populate()", env=env)
    assert populated.returncode == 0, populated.stderr[-2000:]
    facts = json.loads((tmp_path / "facts.json").read_text())
    return {"env": env, "path": tmp_path / "seidra.sqlite3", "media": tmp_path / "media", "facts": facts}


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def postgres_rows(url: str, sql: str) -> list[tuple]:
    sql = sql.replace("HEX(", "LOWER(REPLACE(").replace("id)", "id::text, '-', ''))")
    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


def table_counts_sqlite(path: Path) -> dict[str, int]:
    tables = [name for (name,) in sqlite_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: sqlite_rows(path, f'SELECT COUNT(*) FROM "{table}"')[0][0] for table in tables
            if table not in SKIPPED_TABLES}  # fmt: skip


def http(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def web_on(redis_url, sqlite_install):
    """daphne serving the moved database, with the install's media folder (files are not moved)."""
    servers = []

    def start(database_url: str) -> DaphneServer:
        server = DaphneServer(redis_url=redis_url)
        server.env.update(DATABASE_URL=database_url, SEIDRA_MEDIA_ROOT=str(sqlite_install["media"]))
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


def test_an_sqlite_install_moves_to_postgres_and_works_there(postgres, sqlite_install, web_on):
    source, facts = sqlite_install["path"], sqlite_install["facts"]
    target = database_create(postgres, "moved")

    moved = manage("move_to_postgres", "--to", target, env=sqlite_install["env"])  # the configured SQLite file

    assert moved.returncode == 0, moved.stderr[-3000:]
    assert "  jobs.Job: 5 rows (1 with NUL or lone surrogates replaced by U+FFFD)\n" in moved.stdout
    assert "  gallery.Media: 3 rows\n" in moved.stdout
    assert "  notifications.Notification: 2 rows (1 with NUL or lone surrogates replaced by U+FFFD)\n" in moved.stdout
    assert "every table's count matches" in moved.stdout

    # Every table holds as many rows as in SQLite (sessions aside), with the same ids and links.
    expected = table_counts_sqlite(source)
    for table, count in expected.items():
        assert postgres_rows(target, f'SELECT COUNT(*) FROM "{table}"')[0][0] == count, table
    for sql in (
        "SELECT id, username, password FROM accounts_user ORDER BY id",
        "SELECT HEX(id), owner_id, status, HEX(retry_of_id) FROM jobs_job ORDER BY 1",
        "SELECT HEX(id), owner_id, HEX(job_id), file FROM gallery_media ORDER BY 1",
        "SELECT HEX(id), HEX(media_id), created_by_id FROM gallery_sharelink",
        "SELECT HEX(id), owner_id, name, seed FROM personas_persona",
    ):
        # SQLite keeps a UUID as 32 hex digits; PostgreSQL as a uuid, written here the same way.
        sqlite_sql = sql.replace("HEX(", "(")
        assert postgres_rows(target, sql) == [tuple(row) for row in sqlite_rows(source, sqlite_sql)], sql
    loras = postgres_rows(target, "SELECT loras FROM personas_persona")[0][0]
    assert loras == [{"name": "ink", "weight": 0.8}]
    body = postgres_rows(target, f"SELECT body FROM notifications_notification WHERE id = {facts['nul_notification']}")
    assert body[0][0] == NUL_BODY.replace("\x00", "\ufffd")
    notes = [note for (note,) in postgres_rows(target, "SELECT engine_details->>'note' FROM jobs_job")]
    assert SURROGATE_NOTE.replace("\ud800", "\ufffd") in notes

    # The web on the moved database: alice signs in with her password (a new token row: the id
    # sequence was reset past the copied ones) and finds her jobs, files, persona and share link.
    web = web_on(target)
    status, answer = http(f"{web.url}/api/auth/token/", data={"username": "alice", "password": PASSWORD})
    assert status == 200, answer[:300]
    token = json.loads(answer)["access"]
    status, answer = http(f"{web.url}/api/jobs?page_size=100", token=token)
    assert sorted(item["id"] for item in json.loads(answer)["results"]) == facts["alice_jobs"]
    for media_id, name in facts["alice_media"].items():
        status, data = http(f"{web.url}/api/media/{media_id}/file", token=token)
        assert status == 200 and data == (sqlite_install["media"] / name).read_bytes()
    assert http(f"{web.url}/api/media/{facts['bob_media'][0]}", token=token)[0] == 404  # still bob's
    status, answer = http(f"{web.url}/api/personas/{facts['persona']}", token=token)
    assert status == 200 and json.loads(answer)["name"] == "Mira"
    assert http(f"{web.url}/s/{facts['share_token']}/file")[0] == 200
    assert postgres_rows(target, "SELECT COUNT(*) FROM token_blacklist_outstandingtoken")[0][0] == 2

    # A new user gets the next id (the sequence of accounts_user was reset too).
    created = manage("createsuperuser", "--noinput", "--username", "carol", "--email", "carol@example.com",
                     env={"DATABASE_URL": target, "DJANGO_SUPERUSER_PASSWORD": PASSWORD})  # fmt: skip
    assert created.returncode == 0, created.stderr[-2000:]
    new_id = postgres_rows(target, "SELECT id FROM accounts_user WHERE username = 'carol'")[0][0]
    assert new_id == max(facts["users"].values()) + 1


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(postgres, sqlite_install):
    target = database_create(postgres, "not_empty")
    first = manage("move_to_postgres", "--from", str(sqlite_install["path"]), "--to", target, env={})
    assert first.returncode == 0, first.stderr[-2000:]
    before = postgres_rows(target, "SELECT COUNT(*) FROM jobs_job")

    again = manage("move_to_postgres", "--from", str(sqlite_install["path"]), "--to", target, env={})

    assert again.returncode != 0
    error = again.stderr.strip().splitlines()
    assert len(error) == 1 and "is not empty" in error[0] and "never overwrites" in error[0]
    assert postgres_rows(target, "SELECT COUNT(*) FROM jobs_job") == before


def test_an_unreachable_target_or_a_missing_source_is_one_line_and_a_failure(tmp_path, sqlite_install):
    cases = [
        (["--to", "postgres://seidra@127.0.0.1:1/nowhere"], "Cannot connect to the target database"),
        (["--from", str(tmp_path / "nothing.sqlite3"), "--to", "postgres://seidra@127.0.0.1:1/x"], "No SQLite"),
        (["--to", "mysql://root@127.0.0.1/seidra"], "--to must be a PostgreSQL URL"),
    ]  # fmt: skip
    for args, message in cases:
        done = manage("move_to_postgres", *args, env=sqlite_install["env"])
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], done.stderr


def test_an_sqlite_file_not_fully_migrated_is_refused(postgres, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    assert manage("migrate", "accounts", "--noinput", env=env).returncode == 0  # the other apps not yet
    target = database_create(postgres, "from_old")

    done = manage("move_to_postgres", "--to", target, env=env)

    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not fully migrated" in lines[0] and "manage.py migrate" in lines[0]
    assert postgres_rows(target, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")[0][0] == 0
