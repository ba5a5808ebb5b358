"""The video engine on /api/health and the Models page: off (the local engine's honest label) without
SEIDRA_SADTALKER_URL; with it, the real service's reachability and queue, or the reason it is down."""

import os
import time

import pytest
from django.test import Client

from apps.catalog.sadtalker_client import SadTalkerClient
from tests.support.auth import log_in
from tests.support.sadtalker_server import astronaut_png, sadtalker_server_running, speech_wav

from .comfyui_support import closed_port_url

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"
LOCAL_LABEL = "SEIDRA local motion: approximate mouth motion, not neural lip-sync"


@pytest.fixture
def member(user_factory):
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


def test_health_says_sadtalker_is_off_and_names_the_local_engine(api_client, settings):
    settings.SEIDRA_SADTALKER_URL = ""

    body = api_client.get("/api/health").json()

    assert body["sadtalker"] == {"status": "off", "engine": "local-motion", "engine_label": LOCAL_LABEL}


def test_health_reports_a_running_service_and_its_queue(api_client, settings, tmp_path):
    with sadtalker_server_running(env={"SADTALKER_TEST_SECONDS_PER_STEP": "1"}) as server:
        settings.SEIDRA_SADTALKER_URL = server.url
        client = SadTalkerClient(server.url, retries=0)
        job_id = client.job_submit(
            image=astronaut_png(tmp_path / "face.png"),
            audio=speech_wav(tmp_path / "voice.wav", seconds=2.0),
            options={},
        )
        deadline = time.monotonic() + 120
        while client.job_status(job_id).status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)

        response = api_client.get("/api/health")
        client.job_cancel(job_id)

    assert response.status_code == 200
    entry = response.json()["sadtalker"]
    assert entry["status"] == "ok" and entry["url"] == server.url
    assert entry["queue"] == {"running": 1, "pending": 0}
    assert entry["engine"] == "sadtalker" and entry["engine_label"] == "SadTalker lip-sync"
    assert entry["gpu"] is None or isinstance(entry["gpu"], list)


def test_health_reports_a_dead_service_without_failing_the_site(api_client, settings):
    url = closed_port_url()
    settings.SEIDRA_SADTALKER_URL = url

    response = api_client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] != "error"  # an optional engine down: the site still works
    entry = body["sadtalker"]
    assert entry["status"] == "error" and entry["queue"] is None
    assert entry["reason"].startswith(f"The SadTalker service at {url} is unreachable")


def test_models_page_shows_the_local_engine_when_no_service_is_set(member, settings):
    settings.SEIDRA_SADTALKER_URL = ""

    page = member.get("/models/").content.decode()

    assert 'data-testid="sadtalker"' in page and LOCAL_LABEL in page
    assert "No SadTalker service configured: set SEIDRA_SADTALKER_URL" in page


def test_models_page_shows_the_service_reachable_with_its_queue(member, settings):
    with sadtalker_server_running() as server:
        settings.SEIDRA_SADTALKER_URL = server.url
        page = member.get("/models/").content.decode()

    assert 'data-testid="sadtalker-service"' in page and server.url in page
    assert "SadTalker lip-sync" in page and "status-ok" in page and "queue: 0 running, 0 waiting" in page


def test_models_page_shows_why_the_service_is_unreachable_in_french(member, settings):
    url = closed_port_url()
    settings.SEIDRA_SADTALKER_URL = url

    page = member.get("/models/", headers={"accept-language": "fr"}).content.decode()

    assert "Service SadTalker" in page and url in page
    assert f"The SadTalker service at {url} is unreachable" in page


def test_the_services_gpu_from_nvidia_smi_shows_in_health_and_on_the_models_page(
    api_client, member, settings, tmp_path
):
    # A stand-in nvidia-smi on the service's PATH, answering the query as the real one does.
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'NVIDIA H200, 143771, 2048, 7'\n")
    fake.chmod(0o755)
    with sadtalker_server_running(env={"PATH": f"{fake.parent}:{os.environ['PATH']}"}) as server:
        settings.SEIDRA_SADTALKER_URL = server.url
        entry = api_client.get("/api/health").json()["sadtalker"]
        page = member.get("/models/").content.decode()

    assert entry["gpu"] == [{"name": "NVIDIA H200", "memory_total_mb": 143771.0, "memory_used_mb": 2048.0}]
    assert "NVIDIA H200" in page and "2048 MB of 143771 MB used" in page
