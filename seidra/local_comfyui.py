"""A throw-away real ComfyUI server on a free loopback port (tests and benchmarks).

ComfyUI's source is test equipment outside the project (`../shared/comfyui` beside the clone in
CI; README there); SEIDRA_TEST_COMFYUI_DIR points at it: `src/` (read-only, never written) and
`setup-venv.sh`. What is slow is cached under ~/.cache/seidra-test/ and built under a file lock,
so parallel sessions on one machine build it once:
- comfyui-venv/: ComfyUI's virtualenv (setup-venv.sh; about 1.6 GB, minutes the first time);
- comfyui-models/<builder version>/: the test checkpoint (random weights, about 2.4 GB) and its
  kohya-format LoRA, written by `manage.py make_comfyui_test_model` (the project's exporter).
Each user (a test session, a benchmark) then starts ComfyUI on a free loopback port with a
temporary base directory whose model folders link to the cached files.
"""

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from seidra.local_redis import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
COMFYUI_DIR_ENV = "SEIDRA_TEST_COMFYUI_DIR"
CACHE_DIR = Path.home() / ".cache" / "seidra-test"
VENV_DIR = CACHE_DIR / "comfyui-venv"
MODELS_CACHE_DIR = CACHE_DIR / "comfyui-models"
# Generous: ComfyUI starts in about 25 s on an idle 2-core machine, far slower under a full test run.
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 20
# Previews as SEIDRA's engine expects them (binary JPEG frames on the websocket).
SERVER_FLAGS = ("--cpu", "--preview-method", "latent2rgb")


def comfyui_dir() -> Path | None:
    value = os.environ.get(COMFYUI_DIR_ENV)
    return Path(value).resolve() if value else None


@contextmanager
def _machine_lock(name: str) -> Iterator[None]:
    """One builder per machine for `name`; others wait here, then find it built."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def venv_ensure(source: Path) -> Path:
    """ComfyUI's virtualenv, built by its own setup-venv.sh (which returns at once once `.ready` exists)."""
    with _machine_lock("comfyui-venv"):
        if not (VENV_DIR / ".ready").exists():
            subprocess.run(["bash", str(source / "setup-venv.sh"), str(VENV_DIR)], check=True)
    return VENV_DIR


def models_ensure() -> tuple[Path, Path]:
    """The test checkpoint and LoRA, written once per builder version (each file is written then renamed)."""
    from workers.engines.sdxl.comfyui_test_model import BUILDER_VERSION, CHECKPOINT_FILE, LORA_FILE

    directory = MODELS_CACHE_DIR / BUILDER_VERSION
    checkpoint, lora = directory / CHECKPOINT_FILE, directory / LORA_FILE
    with _machine_lock("comfyui-models"):
        if not (checkpoint.exists() and lora.exists()):
            # A child process: the 5 GB it needs while writing are given back when it exits.
            subprocess.run(
                [sys.executable, "manage.py", "make_comfyui_test_model", "--output", str(directory)],
                cwd=REPO_ROOT, check=True,
            )  # fmt: skip
    return checkpoint, lora


def _base_directory(checkpoint: Path, lora: Path) -> Path:
    """ComfyUI's --base-directory: the folders it needs, models linked from the cache."""
    base = Path(tempfile.mkdtemp(prefix="seidra-test-comfyui-"))
    for folder in ("custom_nodes", "models/checkpoints", "models/loras", "input", "output", "user"):
        (base / folder).mkdir(parents=True)
    (base / "models/checkpoints" / checkpoint.name).symlink_to(checkpoint)
    (base / "models/loras" / lora.name).symlink_to(lora)
    return base


@dataclass
class ComfyServer:
    """One ComfyUI process. `url` is its base URL; `checkpoint` and `lora` the names ComfyUI lists."""

    source: Path
    venv: Path
    base_directory: Path
    checkpoint: str
    lora: str
    port: int = field(default_factory=free_port)
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="seidra-test-comfyui-", suffix=".log")[1]))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ComfyServer":
        """Start it (again, on the same port after stop()) and wait until /system_stats answers."""
        from apps.catalog.comfyui_client import ComfyClient, ComfyError

        command = [
            str(self.venv / "bin" / "python"), "main.py", *SERVER_FLAGS, "--listen", "127.0.0.1",
            "--port", str(self.port), "--base-directory", str(self.base_directory),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            # Its own process group: stop() ends ComfyUI and anything it started.
            self.process = subprocess.Popen(
                command, cwd=self.source / "src", stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        client = ComfyClient(self.url, timeout=5)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                client.system_stats()
                return self
            except ComfyError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"ComfyUI did not start at {self.url}:\n{self.output()}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def comfy_server_start(source: Path) -> ComfyServer:
    if not (source / "setup-venv.sh").is_file() or not (source / "src" / "main.py").is_file():
        raise RuntimeError(f"{COMFYUI_DIR_ENV}={source} does not hold ComfyUI's src/main.py and setup-venv.sh")
    venv = venv_ensure(source)
    checkpoint, lora = models_ensure()
    server = ComfyServer(
        source=source,
        venv=venv,
        base_directory=_base_directory(checkpoint, lora),
        checkpoint=checkpoint.name,
        lora=lora.name,
    )
    return server.start()
