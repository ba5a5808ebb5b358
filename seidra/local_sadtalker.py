"""A throw-away real SadTalker service (ops/sadtalker/server.py) on a free loopback port, running
ops/sadtalker/test_command.py (a stand-in for SadTalker's inference.py that writes a real mp4), for
tests (tests/support/sadtalker_server.py) and `make bench`.

`env` reaches the test command through the server (SADTALKER_TEST_SECONDS_PER_STEP,
SADTALKER_TEST_FAIL); `server_args` adds server options (--max-pending, --retention).
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from seidra.local_redis import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER = REPO_ROOT / "ops" / "sadtalker" / "server.py"
TEST_COMMAND = (
    f"{{python}} {shlex.quote(str(SERVER.parent / 'test_command.py'))} --driven_audio {{driven_audio}} "
    "--source_image {source_image} --result_dir {result_dir} --size {size} --preprocess {preprocess} "
    "--pose_style {pose_style} --expression_scale {expression_scale}"
)
# Generous: a stdlib server starts in well under a second, far slower on a loaded machine.
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


@dataclass
class SadTalkerServer:
    env: dict = field(default_factory=dict)
    server_args: tuple = ()
    port: int = field(default_factory=free_port)
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="seidra-test-sadtalker-")))
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="seidra-test-sadtalker-", suffix=".log")[1]))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "SadTalkerServer":
        command = [
            sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", str(self.port), "--command", TEST_COMMAND,
            "--work-dir", str(self.work_dir), *self.server_args,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the SadTalker test server exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the SadTalker test server did not answer within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        """SIGTERM (the server stops its running job first), SIGKILL to the group if it lingers; the
        jobs' files go with it, the log stays for a failed test to show."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def requests_logged(self, method: str, path: str, status: int) -> int:
        """How many `method path` requests the server answered with `status` (its access log)."""
        pattern = re.compile(rf'"{method} {re.escape(path)} HTTP/[\d.]+" {status} ')
        return len(pattern.findall(self.log.read_text()))


@contextmanager
def sadtalker_server_running(*, env: dict | None = None, server_args: tuple = ()) -> Iterator[SadTalkerServer]:
    server = SadTalkerServer(env=env or {}, server_args=server_args).start()
    try:
        yield server
    finally:
        server.stop()
