"""`make run`'s start script: a fresh database and no Redis become a served login page; Ctrl-C or
SIGTERM stops the web and the worker first, then Redis; it refuses to serve DEBUG pages to the network."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.asgi_server import REPO_ROOT
from tests.support.processes import child_env
from tests.support.redis_server import free_port

PASSWORD = "violet-harbour-lantern-42"
# The script's bound on stopping the web and the worker; the test waits twice that at most.
STOP_TIMEOUT = 20


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (the script puts its children in their own sessions)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The command may hold spaces and parentheses: the parent id follows the last ')'.
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _kill_all(process: subprocess.Popen) -> None:
    for pid in _descendants(process.pid) | {process.pid}:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


@pytest.fixture
def running_server(tmp_path):
    port, redis_port = free_port(), free_port()
    env = child_env(
        PYTHON=sys.executable,
        PORT=str(port),
        DJANGO_SETTINGS_MODULE="seidra.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        # Nothing answers on this port, so the script must start its own Redis.
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        SEIDRA_DEFAULT_USER_PASSWORD=PASSWORD,
        SEIDRA_REDIS_DIR=str(tmp_path / "redis"),
        SEIDRA_MODELS_DIR=str(tmp_path / "models"),
        SEIDRA_STOP_TIMEOUT=str(STOP_TIMEOUT),
        SEIDRA_WEB_PROCESSES="2",  # the launcher's several-process path, end to end
    )
    log = (tmp_path / "run.log").open("w")
    # As a terminal's foreground `make run`: SIGINT at its default. A pytest started in the background by a
    # shell without job control (`make test &`) ignores SIGINT and its children would inherit that, and bash
    # cannot trap a signal ignored on entry: Ctrl-C would then reach nothing (the script documents this case).
    process = subprocess.Popen(
        ["env", "--default-signal=INT", "bash", "ops/scripts/run-local.sh"], cwd=REPO_ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    # Start-up runs migrate, collectstatic (compresses every file) and the demo model: minutes on a loaded box.
    deadline = time.monotonic() + 300
    while True:
        try:
            urllib.request.urlopen(f"{url}/accounts/login/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                _kill_all(process)
                pytest.fail(f"run-local.sh did not serve the login page:\n{(tmp_path / 'run.log').read_text()[-3000:]}")
            time.sleep(0.25)
    yield url, process, tmp_path / "run.log"
    if process.poll() is None:
        _kill_all(process)


def _health(url: str) -> str:
    try:
        return urllib.request.urlopen(f"{url}/api/health", timeout=5).read().decode()
    except urllib.error.HTTPError as error:  # 503 still carries the report
        return error.read().decode()


@pytest.mark.browser
def test_run_serves_the_login_page_where_the_admin_signs_in_and_ctrl_c_stops_everything(page, running_server):
    url, process, log = running_server
    page.goto(f"{url}/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, admin")).to_be_visible()
    # The worker registers once Django and RQ are up (a few seconds after the web on a slow box).
    deadline = time.monotonic() + 60
    while '"workers":{"status":"ok","count":1}' not in (health := _health(url)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert '"workers":{"status":"ok","count":1}' in health
    assert f"open {url}/" in log.read_text()

    children = _descendants(process.pid)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    process.wait(timeout=2 * STOP_TIMEOUT)
    assert _running(children) == set(), f"children still running after Ctrl-C: {_running(children)}"


def _wait_for_worker(url: str) -> None:
    # The worker registers once Django and RQ are up (a few seconds after the web on a slow box).
    deadline = time.monotonic() + 60
    while '"workers":{"status":"ok","count":1}' not in (health := _health(url)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert '"workers":{"status":"ok","count":1}' in health


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _catches_sigterm(pid: int) -> bool:
    """rq installs its warm-shutdown handler only once its start-up is done (health counts it earlier)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def test_sigterm_stops_web_and_worker_first_then_redis_and_leaves_nothing_running(running_server):
    url, process, log = running_server
    _wait_for_worker(url)
    children = _descendants(process.pid)
    web_processes = {pid for pid in children if b"daphne" in _command_line(pid)}
    assert len(web_processes) == 2, "make run starts SEIDRA_WEB_PROCESSES daphne processes"
    (worker,) = [pid for pid in children if b"rqworker" in _command_line(pid)]
    deadline = time.monotonic() + 120
    while not _catches_sigterm(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _catches_sigterm(worker), "the worker never became ready for a warm shutdown"

    os.kill(process.pid, signal.SIGTERM)  # `kill -TERM <pid>`, as for a `make run` in the background
    process.wait(timeout=2 * STOP_TIMEOUT)

    assert _running(children) == set(), f"children still running after SIGTERM: {_running(children)}"
    text = log.read_text()
    after_signal = text[text.index("Stopping the web server and the worker") :]
    # The worker stopped on its own warm shutdown while Redis still answered...
    assert "warm shut down requested" in after_signal
    assert "cold shut down" not in after_signal
    for symptom in ("ConnectionError", "Connection refused", "Error 111", "Traceback"):
        assert symptom not in after_signal, f"{symptom!r} in the log after SIGTERM:\n{after_signal}"
    # ... and Redis was stopped only once the web and the worker had ended.
    assert after_signal.index("warm shut down requested") < after_signal.index("Stopping Redis")
    assert after_signal.rstrip().endswith("Stopped.")


def test_run_refuses_to_serve_debug_pages_beyond_loopback(tmp_path):
    env = child_env(
        PYTHON=sys.executable,
        HOST="0.0.0.0",
        PORT=str(free_port()),
        DJANGO_SETTINGS_MODULE="seidra.settings.local",  # DEBUG on by default
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        SEIDRA_REDIS_DIR=str(tmp_path / "redis"),
    )
    env.pop("DEBUG", None)
    process = subprocess.Popen(
        ["bash", "ops/scripts/run-local.sh"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        _kill_all(process)
        pytest.fail("run-local.sh started serving HOST=0.0.0.0 with DEBUG on")
    assert process.returncode == 2
    message = stderr.strip()
    assert message.startswith("Refusing HOST=0.0.0.0 with DEBUG on")
    assert "seidra.settings.production" in message and "DEBUG=0 with a SECRET_KEY and ALLOWED_HOSTS" in message
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "run.sqlite3").exists(), "nothing is set up before the refusal"
