"""Shared test fixtures: a real Redis, the real ASGI server, a real browser.

See docs/architecture.md, section 7 (Testing).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_lib
from django.conf import settings

from tests.support.asgi_server import DaphneServer, database_url_for_test_db
from tests.support.processes import child_env
from tests.support.redis_server import RedisServer

REPO_ROOT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def _point_settings_at_redis(url: str) -> None:
    from channels.layers import channel_layers

    from seidra.settings.base import redis_settings

    for name, value in redis_settings(url).items():
        setattr(settings, name, value)
    channel_layers.backends = {}  # built lazily again from the new CHANNEL_LAYERS


@pytest.fixture(scope="session", autouse=True)
def redis_url():
    """REDIS_URL from the environment when given (its database is emptied after each test),
    else a private redis-server for this session."""
    given = os.environ.get("REDIS_URL")
    server = None if given else RedisServer().start()
    url = given or server.url
    _point_settings_at_redis(url)
    yield url
    if server:
        server.stop()


@pytest.fixture(autouse=True)
def _empty_redis(redis_url):
    """Each test starts with an empty Redis, as each starts with an empty database, and a fresh
    channel layer: channels_redis keeps receive state bound to the event loop that used it, and
    each async test has its own loop."""
    from channels.layers import channel_layers

    yield
    redis_lib.Redis.from_url(redis_url).flushdb()
    channel_layers.backends = {}


@pytest.fixture
def user_factory(db):
    from apps.accounts.models import User

    def make(username: str = "alice", password: str = "a-long-test-passphrase", **extra) -> "User":
        user = User(username=username, **extra)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def manage(redis_url, transactional_db):
    """Run `manage.py` as a real process against the test database; returns CompletedProcess."""

    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        full_env = child_env(
            DJANGO_SETTINGS_MODULE="seidra.settings.test",
            DATABASE_URL=database_url_for_test_db(),
            REDIS_URL=redis_url,
            **(env or {}),
        )
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=full_env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def asgi_server(redis_url, django_db_setup, django_db_blocker):
    """daphne serving seidra.asgi (HTTP and websockets) for the whole session; tests that use it
    need `transactional_db` so the rows they write are visible to the server process."""
    with django_db_blocker.unblock():
        server = DaphneServer(redis_url=redis_url).start()
    yield server
    server.stop()


@pytest.fixture
def live_url(asgi_server, transactional_db) -> str:
    return asgi_server.url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (it cannot download its own browsers here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make setup` (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()
    playwright.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        artifacts = REPO_ROOT / "var" / "test-artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report on the item, so fixtures can screenshot failed browser tests."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """The demo SDXL-architecture model (random weights) and its LoRAs, built once per session."""
    from workers.engines.sdxl.tiny_model import save_tiny_model

    directory = tmp_path_factory.mktemp("tiny-models")
    save_tiny_model(directory)
    return directory


@pytest.fixture
def tiny_model(tiny_models_dir, settings, db) -> str:
    """The demo model installed and listed in the catalog; returns its name."""
    from apps.catalog.services import catalog_sync_from_disk

    settings.SEIDRA_MODELS_DIR = tiny_models_dir
    catalog_sync_from_disk()
    return "seidra-tiny-sdxl"


@pytest.fixture
def worker_process(redis_url, tiny_models_dir, transactional_db):
    """Start real `manage.py rqworker gpu` processes: worker_process(name, **env); all stopped afterwards."""
    from tests.support.workers import WorkerProcess

    started: list[WorkerProcess] = []

    def start(name: str = "w1", **extra_env) -> WorkerProcess:
        worker = WorkerProcess(redis_url=redis_url, models_dir=tiny_models_dir, name=name, extra_env=extra_env)
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-speaking server (moto's ThreadedMotoServer over HTTP) for the whole session."""
    from tests.support.s3_server import S3Server

    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """Media stored in a fresh bucket of the S3 server for this test (SEIDRA_STORAGE=s3, as an
    operator sets it); returns the bucket's name. `s3_server.env_for(name)` gives a process the same."""
    from seidra.settings.base import media_storage_settings

    bucket = s3_server.bucket_create()
    settings.SEIDRA_STORAGE = "s3"
    settings.SEIDRA_S3 = s3_server.settings_for(bucket)
    # setting_changed resets django's storages (and default_storage) when STORAGES changes.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage_settings("s3", settings.SEIDRA_S3, url_expiry=settings.SEIDRA_S3_URL_EXPIRY),
    }
    return bucket


@pytest.fixture(scope="session")
def comfyui_server():
    """A real ComfyUI server (tests/support/comfyui_server.py) with the test checkpoint and its
    kohya-format LoRA, for the whole session: .url, .checkpoint, .lora, .log (its output).
    Skipped unless SEIDRA_TEST_COMFYUI_DIR names ComfyUI's source (.ci/run sets it)."""
    from tests.support.comfyui_server import SKIP_REASON, comfy_server_start, comfyui_dir

    source = comfyui_dir()
    if source is None:
        pytest.skip(SKIP_REASON)
    server = comfy_server_start(source)
    yield server
    server.stop()


def pytest_collection_modifyitems(config, items):
    """Tests on the real ComfyUI server get a longer timeout: the first may build its venv and
    checkpoint, and each ComfyUI job takes a minute or more on a CPU."""
    from tests.support.comfyui_server import TEST_TIMEOUT_S

    for item in items:
        if "comfyui_server" in getattr(item, "fixturenames", ()) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_S))
