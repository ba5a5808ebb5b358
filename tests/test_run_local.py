"""`make run`'s start script: a fresh database and no Redis become a served login page; Ctrl-C stops all."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.support.asgi_server import REPO_ROOT
from tests.support.processes import child_env
from tests.support.redis_server import free_port

PASSWORD = "violet-harbour-lantern-42"


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
    )
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        ["bash", "ops/scripts/run-local.sh"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/accounts/login/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                os.killpg(process.pid, signal.SIGKILL)
                pytest.fail(f"run-local.sh did not serve the login page:\n{(tmp_path / 'run.log').read_text()[-3000:]}")
            time.sleep(0.25)
    yield url, process, tmp_path / "run.log"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


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

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    process.wait(timeout=30)
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], f"children still running after Ctrl-C: {leftovers}"
