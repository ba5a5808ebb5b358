"""The real ASGI app (HTTP and websockets) under daphne, in a subprocess sharing the test database."""

import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from .processes import child_env
from .redis_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def database_url_for_test_db() -> str:
    """The URL of the database pytest-django created, for a process that cannot inherit it."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    if connection.vendor == "postgresql":
        # As the session's own DATABASE_URL gave them: a user or password may hold "@" or "/", and an
        # empty host (libpq's default socket) must stay empty rather than become a TCP address.
        user, password = quote(settings["USER"] or "", safe=""), quote(settings["PASSWORD"] or "", safe="")
        port = f":{settings['PORT']}" if settings.get("PORT") else ""
        return f"postgres://{user}:{password}@{settings.get('HOST') or ''}{port}/{settings['NAME']}"
    raise RuntimeError(f"the live server fixture does not support the {connection.vendor} database")


class DaphneServer:
    def __init__(self, *, redis_url: str, extra_env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="seidra-test-daphne-", suffix=".log")[1])
        self.env = child_env(
            DJANGO_SETTINGS_MODULE="seidra.settings.test",
            DATABASE_URL=database_url_for_test_db(),
            REDIS_URL=redis_url,
            **(extra_env or {}),
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> "DaphneServer":
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "seidra.asgi:application"],
                cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/health", timeout=2)
                return self
            except urllib.error.HTTPError:
                return self  # it answered (503 is still an answer)
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"daphne did not start:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
