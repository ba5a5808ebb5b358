"""Jobs through SEIDRA's API and a real `comfyui` worker against the session's real ComfyUI server."""

import random
import time

import pytest

from tests.support.redis_server import free_port

# Hang guards only (nothing here asserts a duration): a 64 x 64 job of one or two steps takes about
# a minute on a busy 2-core machine, the first one of a session longer (the checkpoint loads).
JOB_TIMEOUT_S = 900
# Every progress event and a preview at every step, so a two-step job shows both.
WORKER_ENV = {
    "SEIDRA_PROGRESS_EVENTS_PER_SECOND": 10_000,
    "SEIDRA_PREVIEW_EVERY": 1,
    "SEIDRA_CANCEL_CHECK_SECONDS": 1,
    # The catalog is refreshed once, at the worker's start: a test's own catalog rows stay as set.
    "SEIDRA_COMFYUI_REFRESH_SECONDS": 0,
}


def fresh_seed() -> int:
    """ComfyUI serves an identical prompt from its cache: every job of a session gets its own seed."""
    return random.SystemRandom().randrange(1, 2**31)


def dead_url() -> str:
    """A loopback port nobody listens on: a ComfyUI server that is down."""
    return f"http://127.0.0.1:{free_port()}"


def wait_for(condition, *, what: str, worker=None, server=None, timeout: float = JOB_TIMEOUT_S):
    from apps.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    rows = list(Job.objects.values_list("id", "status", "step", "total_steps", "error"))
    logs = "".join(
        f"\n{name} log:\n{part.output()}" for name, part in (("worker", worker), ("ComfyUI", server)) if part
    )
    raise AssertionError(f"timed out waiting for {what}; jobs (id, status, step, total, error): {rows}{logs}")


@pytest.fixture
def comfyui_catalog(comfyui_server, settings, transactional_db):
    """This process configured for the session's ComfyUI server, its models in the catalog."""
    from apps.catalog.comfyui_sync import catalog_comfyui_refresh

    settings.SEIDRA_COMFYUI_URL = comfyui_server.url
    settings.SEIDRA_COMFYUI_URLS = [comfyui_server.url]
    catalog_comfyui_refresh()
    return comfyui_server


SENTINEL_MODEL = "seidra-refresh-sentinel.safetensors"


def comfyui_model_row_copy(name_of: str, *, name: str, servers: list[str]):
    """A catalog row like ComfyUI checkpoint `name_of`'s, under another name: a checkpoint the
    catalog believes `servers` have."""
    from apps.catalog.models import InstalledModel

    fields = InstalledModel.objects.filter(name=name_of).values().get()
    for generated in ("id", "created", "updated"):
        fields.pop(generated)
    return InstalledModel.objects.create(**{**fields, "name": name, "servers": servers})


@pytest.fixture
def comfyui_worker(comfyui_catalog, redis_url, tmp_path):
    """Start real `manage.py rqworker comfyui` processes: comfyui_worker(urls, name=...); stopped afterwards.

    Returns once the worker listens and has refreshed the catalog (it does at start): a catalog
    row that the live server does not list is gone then. Rows a test sets after that stay as set."""
    from apps.catalog.models import InstalledModel
    from tests.support.workers import WorkerProcess

    started = []

    def start(urls: list[str], *, name: str = "comfy-1", **extra_env):
        sentinel = comfyui_model_row_copy(
            comfyui_catalog.checkpoint, name=SENTINEL_MODEL, servers=[comfyui_catalog.url]
        )
        worker = WorkerProcess(
            redis_url=redis_url,
            models_dir=tmp_path / "models",  # a ComfyUI worker reads no local model
            name=name,
            queue="comfyui",
            extra_env={**WORKER_ENV, "SEIDRA_COMFYUI_URL": ",".join(urls), **extra_env},
        )
        started.append(worker.start())
        worker.wait_listening()
        if comfyui_catalog.url in urls:
            wait_for(
                lambda: not InstalledModel.objects.filter(pk=sentinel.pk).exists(),
                what="the worker's catalog refresh", worker=worker, timeout=120,
            )  # fmt: skip
        else:
            sentinel.delete()
        return worker

    yield start
    for worker in started:
        worker.stop()
