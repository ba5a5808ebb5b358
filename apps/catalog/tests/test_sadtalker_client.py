"""The SadTalker client against the project's own service (ops/sadtalker/server.py) running the test
command (a real mp4 from the image and the audio): a job end to end, the contract's refusals, the
queue full (503 tried again, then an error), an unreachable URL, cancel, the command's failure."""

import time

import pytest
import requests

from apps.catalog.sadtalker_client import SadTalkerClient, SadTalkerHttpError, SadTalkerUnreachable
from tests.support.sadtalker_server import (
    astronaut_png,
    processes_mentioning,
    sadtalker_server_running,
    speech_wav,
    video_probe,
)

from .comfyui_support import closed_port_url

OPTIONS = {"size": 256, "still": True, "preprocess": "crop", "enhancer": "none", "pose_style": 0,
           "expression_scale": 1.0}  # fmt: skip
# Long enough for a test to see a job running and queue more behind it; cancels end it sooner.
SLOW = {"SADTALKER_TEST_SECONDS_PER_STEP": "1"}
WAIT_S = 120  # a bound on waits for the service's own steps, never a measured time


@pytest.fixture
def inputs(tmp_path):
    return {"image": astronaut_png(tmp_path / "face.png"), "audio": speech_wav(tmp_path / "voice.wav", seconds=3.0)}


def wait_for(client: SadTalkerClient, job_id: str, statuses: tuple[str, ...]):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        status = client.job_status(job_id)
        if status.status in statuses:
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {statuses}: {status}")


def test_a_job_goes_from_queued_to_a_real_mp4_with_rising_progress(tmp_path, inputs):
    with sadtalker_server_running(env={"SADTALKER_TEST_SECONDS_PER_STEP": "0.05"}) as server:
        client = SadTalkerClient(server.url, timeout=10, retries=0)
        health = client.health()
        assert health["status"] == "ok" and health["queue"] == {"running": 0, "pending": 0}

        job_id = client.job_submit(options={**OPTIONS, "size": 512}, **inputs)
        seen = []
        while (status := client.job_status(job_id)).status not in ("succeeded", "failed"):
            seen.append(status.progress)
            time.sleep(0.05)
        assert status.status == "succeeded" and status.progress == 1.0 and status.error == ""
        assert status.seconds > 0
        assert seen == sorted(seen) and any(0 < value < 1 for value in seen)

        video = client.job_video_download(job_id, tmp_path / "out.mp4")

    facts = video_probe(video)
    assert facts.video_codecs == ("h264",) and facts.audio_codecs == ("aac",)
    assert facts.sizes == ("512x512",)
    assert abs(facts.duration - 3.0) < 0.2


def test_a_bad_field_is_a_400_naming_it_and_the_video_waits_for_success(tmp_path, inputs):
    with sadtalker_server_running(env=SLOW) as server:
        client = SadTalkerClient(server.url, timeout=10, retries=0)
        with pytest.raises(SadTalkerHttpError) as refused:
            client.job_submit(options={**OPTIONS, "size": 300}, **inputs)
        assert refused.value.status == 400 and "size" in refused.value.message and server.url in refused.value.message

        with pytest.raises(SadTalkerHttpError) as not_audio:  # an image sent as the audio track
            client.job_submit(image=inputs["image"], audio=inputs["image"], options=OPTIONS)
        assert not_audio.value.status == 400 and "driven_audio" in not_audio.value.message

        job_id = client.job_submit(options=OPTIONS, **inputs)
        with pytest.raises(SadTalkerHttpError) as early:
            client.job_video_download(job_id, tmp_path / "early.mp4")
        assert early.value.status == 409
        client.job_cancel(job_id)


def test_a_full_queue_is_503_tried_again_then_an_error_naming_the_service(inputs):
    with sadtalker_server_running(env=SLOW, server_args=("--max-pending", "1")) as server:
        client = SadTalkerClient(server.url, timeout=10, retries=2, backoff=0.05)
        running = client.job_submit(options=OPTIONS, **inputs)
        wait_for(client, running, ("running",))
        waiting = client.job_submit(options=OPTIONS, **inputs)
        assert client.health()["queue"] == {"running": 1, "pending": 1}

        with pytest.raises(SadTalkerHttpError) as full:
            client.job_submit(options=OPTIONS, **inputs)

        assert full.value.status == 503
        assert f"SadTalker answered 503 to POST {server.url}/v1/jobs" in full.value.message
        assert "queue is full" in full.value.message
        assert server.requests_logged("POST", "/v1/jobs", 503) == 3  # the first try and two retries
        for job_id in (waiting, running):
            client.job_cancel(job_id)


def test_an_unreachable_service_is_named_with_the_setting_to_check(inputs):
    url = closed_port_url()
    client = SadTalkerClient(url, timeout=5, retries=1, backoff=0.05)

    with pytest.raises(SadTalkerUnreachable) as unreachable:
        client.job_submit(options=OPTIONS, **inputs)

    message = unreachable.value.message
    assert message.startswith(f"The SadTalker service at {url} is unreachable")
    assert "2 tries" in message and "SEIDRA_SADTALKER_URL" in message


def test_cancel_kills_the_running_command_and_forgets_a_waiting_job(inputs):
    with sadtalker_server_running(env=SLOW) as server:
        client = SadTalkerClient(server.url, timeout=10, retries=0)
        running = client.job_submit(options=OPTIONS, **inputs)
        waiting = client.job_submit(options=OPTIONS, **inputs)
        wait_for(client, running, ("running",))
        assert processes_mentioning(running), "the test command should be running"

        client.job_cancel(running)
        client.job_cancel(waiting)

        assert processes_mentioning(running) == []  # its process group is gone
        for job_id in (running, waiting):
            with pytest.raises(SadTalkerHttpError) as gone:
                client.job_status(job_id)
            assert gone.value.status == 404
        assert not (server.work_dir / running).exists()
        assert client.health()["queue"] == {"running": 0, "pending": 0}
        client.job_cancel(running)  # cancelling again is harmless


def test_a_failing_command_reports_its_last_line(inputs):
    message = "CUDA out of memory"
    with sadtalker_server_running(env={"SADTALKER_TEST_FAIL": message}) as server:
        client = SadTalkerClient(server.url, timeout=10, retries=0)
        job_id = client.job_submit(options=OPTIONS, **inputs)
        status = wait_for(client, job_id, ("succeeded", "failed"))

    assert status.status == "failed"
    assert status.error == f"the command exited with 1: RuntimeError: {message}"


def test_finished_jobs_are_forgotten_after_the_retention_time(inputs):
    with sadtalker_server_running(server_args=("--retention", "1")) as server:
        client = SadTalkerClient(server.url, timeout=10, retries=0)
        job_id = client.job_submit(options=OPTIONS, **inputs)
        wait_for(client, job_id, ("succeeded",))
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and (server.work_dir / job_id).exists():
            time.sleep(0.2)

        assert not (server.work_dir / job_id).exists()
        assert requests.get(f"{server.url}/v1/jobs/{job_id}", timeout=10).status_code == 404
