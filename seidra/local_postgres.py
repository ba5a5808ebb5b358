"""A throw-away PostgreSQL server on a free port in a temporary directory (tests and benchmarks).

`initdb` + `pg_ctl` from the Debian package `postgresql` (its binaries are not on PATH). PostgreSQL
refuses to run as root, so under root the cluster belongs to the `postgres` system user the package
creates and every command runs through `runuser`. Durability is off (fsync, synchronous commit):
the data is thrown away, and tests create and flush databases many times.
"""

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .local_redis import free_port

INSTALL_HINT = "PostgreSQL is not installed: run `make setup` (or apt-get install postgresql)"
SUPERUSER = "seidra"


def postgres_bin_dir() -> Path:
    """The newest installed server's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(INSTALL_HINT)


class PostgresServer:
    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="seidra-test-postgres-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        # Trust authentication on loopback only: no password to leak, nothing reachable from outside.
        self.url = f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        self.bin = postgres_bin_dir()
        self._as_root = os.geteuid() == 0

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_root else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresServer":
        if self._as_root:
            shutil.chown(self.directory, user="postgres", group="postgres")
        created = self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        if created.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{created.stdout[-2000:]}{created.stderr[-2000:]}")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "start")
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{self._log_tail()}")
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                ready = self._run(str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port))
                if ready.returncode == 0:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not answer on port {self.port}:\n{self._log_tail()}")
            time.sleep(0.1)

    def _log_tail(self) -> str:
        try:
            return self.log.read_text()[-3000:]
        except OSError:
            return "(no server log)"

    def database_url(self, name: str) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


_session_server: PostgresServer | None = None


def session_postgres_url(database: str = "seidra") -> str:
    """The URL of `database` on this process's throw-away server, started on first use and stopped
    at exit (the test role's SEIDRA_TEST_DATABASE=postgres). Processes the tests start are given the
    test database's URL explicitly and never start their own."""
    global _session_server
    if _session_server is None:
        _session_server = PostgresServer().start()
        atexit.register(_session_server.stop)
    return _session_server.database_url(database)
