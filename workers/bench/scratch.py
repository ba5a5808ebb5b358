"""A private SEIDRA stack in a scratch directory for the benchmarks: its own redis-server, SQLite
file, models and media, and processes started as `make run` starts them, so the figures never
touch the owner's data. Loopback only."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

from seidra.local_redis import RedisServer, free_port

STOP_SECONDS = 30


def scratch_env(scratch: Path, **extra: str) -> dict:
    """The environment of a process working on the scratch directory's own database and media."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "seidra.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite3'}",
        "SEIDRA_MEDIA_ROOT": str(scratch / "media"),
        "SEIDRA_LOG_FILE": "0",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def scratch_manage(env: dict, *args: str, timeout: float = 900) -> str:
    """`manage.py args` in that environment; its stdout, or RuntimeError with the end of its stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


class ScratchStack:
    def __init__(self, scratch: Path, *, overrides: dict[str, str] | None = None) -> None:
        self.scratch = scratch
        self.models_dir = scratch / "models"
        self.redis = RedisServer()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.overrides = overrides or {}
        self.log_path = scratch / "stack.log"
        self.processes: list[subprocess.Popen] = []

    def env(self) -> dict:
        return scratch_env(
            self.scratch, REDIS_URL=self.redis.url, SEIDRA_MODELS_DIR=str(self.models_dir), **self.overrides
        )

    def manage(self, *args: str) -> str:
        return scratch_manage(self.env(), *args, timeout=600)

    def prepare(self) -> None:
        """Redis up, schema, static files (DEBUG off serves the collected ones) and the demo model."""
        self.redis.start()
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.manage("make_tiny_model")

    def spawn(self, *command: str) -> subprocess.Popen:
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, *command], cwd=settings.BASE_DIR, env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def spawn_web(self) -> subprocess.Popen:
        return self.spawn("-m", "seidra.serve", "--host", "127.0.0.1", "--port", str(self.port))

    def web_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/health", timeout=2):
                return True
        except OSError:
            return False

    def wait_until(self, ready, *, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ready():
                return
            if any(process.poll() is not None for process in self.processes):
                break
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
        self.redis.stop()

    def bench_user_token(self, username: str) -> str:
        """A user on the scratch database and an access token for it (two hours)."""
        self.manage(
            "shell", "-c",
            f"from apps.accounts.models import User; u = User(username='{username}'); "
            "u.set_password('bench-only-passphrase-123'); u.save()",
        )  # fmt: skip
        return self.manage("create_token", "--user", username, "--hours", "2").strip()
