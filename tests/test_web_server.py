"""How HTTP is served: views on a thread pool (one slow request does not hold up the others) and
Argon2 on its own low-priority threads, with the stored hash format unchanged."""

import sqlite3
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.db import connection

from apps.accounts.services import access_token_create
from seidra import password_hashing
from tests.support.asgi_server import database_url_for_test_db

# Only against a hang: a request that waits on a lock is released by the test, never by a clock.
HANG_GUARD_SECONDS = 120


class DatabaseLock:
    """An exclusive lock on the SQLite test database: any request that touches it waits (readers too)."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        # The same busy timeout as the project's connections: on a loaded machine a request of an
        # earlier test may still be finishing its transaction in the server.
        self.holder: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None, timeout=timeout)
        self.holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        self.holder.execute("BEGIN EXCLUSIVE")
        self.holder.execute("SELECT count(*) FROM django_migrations").fetchall()

    def release(self) -> None:
        if self.holder is not None:
            self.holder.execute("COMMIT")
            self.holder.close()
            self.holder = None


def _handles_on(pid: int, path: Path) -> int:
    """How many file descriptors of process `pid` point at `path`."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += Path(fd.readlink()) == path
        except OSError:
            continue
    return count


class PostgresTableLock:
    """An exclusive lock on a table, held by a connection of its own: any request that reads it waits.
    PostgreSQL waits for a lock without limit (lock_timeout 0), so the request waits until release."""

    def __init__(self, table: str) -> None:
        import psycopg

        self.table = table
        self.holder = psycopg.connect(database_url_for_test_db())  # in a transaction until release
        self.holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')

    def waiters(self) -> int:
        """Connections waiting for this lock (pg_locks shows live state, not the transaction's snapshot)."""
        query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass"
        return self.holder.execute(query, (self.table,)).fetchone()[0]

    def release(self) -> None:
        if not self.holder.closed:
            self.holder.commit()
            self.holder.close()


def test_a_request_waiting_on_a_postgres_lock_does_not_hold_up_other_requests(live_url, user_factory):
    if connection.vendor != "postgresql":
        pytest.skip("the lock used here is PostgreSQL's (the SQLite test is the one below)")
    user_factory(username="patient")
    token = access_token_create(username="patient", hours=1)
    lock = PostgresTableLock("accounts_user")  # /api/me reads the user of the token
    try:

        def blocked_request() -> int:
            request = urllib.request.Request(f"{live_url}/api/me", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=HANG_GUARD_SECONDS) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(blocked_request)
            while lock.waiters() == 0:  # the view now waits on the lock
                assert not waiting.done(), f"the request ended before touching the database: {waiting.result()}"
                threading.Event().wait(0.05)
            with urllib.request.urlopen(f"{live_url}/static/css/seidra.css", timeout=HANG_GUARD_SECONDS) as response:
                assert response.status == 200
            assert not waiting.done(), "the lock is still held: the first request must still be waiting"
            lock.release()
            assert waiting.result() == 200  # released, the waiting request completes normally
    finally:
        lock.release()


def test_a_request_waiting_on_the_database_does_not_hold_up_other_requests(live_url, asgi_server, user_factory):
    if connection.vendor != "sqlite":
        pytest.skip("the lock used here is SQLite's (the PostgreSQL test is the one above)")
    user_factory(username="patient")
    token = access_token_create(username="patient", hours=1)
    # How long the blocked view may wait on the lock before SQLite gives up.
    busy_timeout = settings.DATABASES["default"]["OPTIONS"]["timeout"]
    daphne_pid = asgi_server.process.pid
    connection.close()  # in WAL mode every open connection keeps a shared lock on the file
    try:
        lock = DatabaseLock(Path(connection.settings_dict["NAME"]).resolve(), timeout=busy_timeout)
    except sqlite3.OperationalError:
        # In WAL mode the exclusive lock needs every other connection closed, and threads of earlier
        # async tests in this process may still hold one; alone (or first) the file passes.
        pytest.skip("another connection of this test session holds the database; run tests/test_web_server.py alone")
    try:
        before = _handles_on(daphne_pid, lock.path)

        def blocked_request() -> int:
            request = urllib.request.Request(f"{live_url}/api/me", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=3 * busy_timeout) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(blocked_request)
            # The view is running once the server opened the database file; it now waits on the lock.
            while _handles_on(daphne_pid, lock.path) <= before:
                assert not waiting.done(), f"the request ended before touching the database: {waiting.result()}"
                threading.Event().wait(0.05)

            # Another request through Django (static files are served by its middleware) answers meanwhile;
            # behind a single thread (asgiref's plain WsgiToAsgi, thread_sensitive) it would wait for the first.
            with urllib.request.urlopen(f"{live_url}/static/css/seidra.css", timeout=busy_timeout / 2) as response:
                assert response.status == 200
                assert b"{" in response.read()
            assert not waiting.done(), "the lock is still held: the first request must still be waiting"

            lock.release()
            assert waiting.result() == 200  # released, the waiting request completes normally
    finally:
        lock.release()


def test_passwords_are_hashed_on_the_low_priority_pool_in_the_usual_argon2_format(monkeypatch):
    threads_seen = []
    original_encode = Argon2PasswordHasher.encode

    def spy(self, password, salt):
        threads_seen.append(threading.current_thread().name)
        return original_encode(self, password, salt)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", spy)
    encoded = make_password("a-long-test-passphrase")
    monkeypatch.undo()
    assert threads_seen and all(name.startswith("seidra-hash") for name in threads_seen)
    assert encoded.startswith("argon2$")
    # Hashes stored before (plain Argon2PasswordHasher) and after verify alike.
    assert check_password("a-long-test-passphrase", encoded)
    stored_before = Argon2PasswordHasher().encode("old-stored-passphrase", "somesalt1234")
    assert check_password("old-stored-passphrase", stored_before)
    assert not check_password("wrong-passphrase-here", encoded)
    nice = int(Path(f"/proc/self/task/{_native_id_of('seidra-hash')}/stat").read_text().rsplit(")", 1)[1].split()[16])
    assert nice == password_hashing.NICE_INCREMENT


def _native_id_of(prefix: str) -> int:
    return next(thread.native_id for thread in threading.enumerate() if thread.name.startswith(prefix))
