"""The SadTalker engine against the project's own service (ops/sadtalker/server.py) running the test
command: the two outputs of the requested duration and size with a poster, progress relayed, an
earlier attempt's job taken up, and each failure as the message a user reads on the FAILED job
(timeout, 503, unreachable, the command's error) or a cancel that reaches the service."""

import threading
import time
from pathlib import Path

import pytest
import requests

from apps.catalog.tests.comfyui_support import closed_port_url
from apps.catalog.video_request import VIDEO_ENGINE_SADTALKER, VideoRequest
from tests.support.sadtalker_server import (
    astronaut_png,
    processes_mentioning,
    sadtalker_server_running,
    speech_wav,
    video_probe,
)
from workers.engines.errors import EngineError, GenerationCancelled
from workers.video.base import TalkingJob, talking_engine_for
from workers.video.sadtalker import DETAILS_JOB_ID, DETAILS_URL

SECONDS = 3.0
SLOW = {"SADTALKER_TEST_SECONDS_PER_STEP": "1"}
WAIT_S = 120  # a bound on waits for the service's own steps, never a measured time


@pytest.fixture
def sadtalker_settings(settings):
    settings.SEIDRA_SADTALKER_POLL_SECONDS = 0.1
    settings.SEIDRA_SADTALKER_RETRIES = 0
    settings.SEIDRA_SADTALKER_HTTP_TIMEOUT = 10
    return settings


class Recorder:
    """The runner's side of a TalkingJob: progress, saved details, a cancel switch."""

    def __init__(self) -> None:
        self.progress: list[tuple[str, float]] = []
        self.saved: list[dict] = []
        self.cancelled = threading.Event()

    def job(self, tmp_path, *, size: int = 256, details: dict | None = None) -> TalkingJob:
        request = VideoRequest(prompt="a calm astronaut", duration=SECONDS, size=size, still=True,
                               engine=VIDEO_ENGINE_SADTALKER)  # fmt: skip
        work_dir = tmp_path / "work"
        work_dir.mkdir(exist_ok=True)
        return TalkingJob(
            job_id="job-1", request=request, character=astronaut_png(tmp_path / "character.png"),
            audio=speech_wav(tmp_path / "audio.wav", seconds=SECONDS), work_dir=work_dir,
            progress=lambda stage, fraction: self.progress.append((stage, fraction)),
            cancel_requested=self.cancelled.is_set, details=dict(details or {}), save_details=self.saved.append,
        )  # fmt: skip

    def stages(self, stage: str) -> list[float]:
        return [fraction for name, fraction in self.progress if name == stage]


def engine():
    return talking_engine_for(VIDEO_ENGINE_SADTALKER)


def test_a_sadtalker_job_gives_an_mp4_and_a_webm_of_the_requested_duration(tmp_path, sadtalker_settings):
    recorder = Recorder()
    with sadtalker_server_running(env={"SADTALKER_TEST_SECONDS_PER_STEP": "0.05"}) as server:
        sadtalker_settings.SEIDRA_SADTALKER_URL = server.url
        result = engine().run(recorder.job(tmp_path, size=512))
        submitted = server.requests_logged("POST", "/v1/jobs", 202)

    assert submitted == 1
    mp4, webm = video_probe(result.mp4), video_probe(result.webm)
    assert mp4.video_codecs == ("h264",) and mp4.audio_codecs == ("aac",) and mp4.sizes == ("512x512",)
    assert webm.video_codecs == ("vp9",) and webm.audio_codecs == ("opus",)
    assert mp4.fps == ("25",)
    assert abs(mp4.duration - SECONDS) < 0.1 and abs(webm.duration - SECONDS) < 0.1
    assert result.poster.size == (512, 512)
    # The id was saved on the row at once, before the lip-sync ended.
    [saved] = recorder.saved
    assert saved[DETAILS_URL] == server.url and saved[DETAILS_JOB_ID] == result.details[DETAILS_JOB_ID]
    lipsync, encoding = recorder.stages("lipsync"), recorder.stages("encoding")
    assert lipsync == sorted(lipsync) and lipsync[-1] == 1.0 and encoding
    assert result.details["service_seconds"] > 0


def test_an_earlier_attempts_job_is_taken_up_instead_of_submitted_again(tmp_path, sadtalker_settings):
    first, second = Recorder(), Recorder()
    with sadtalker_server_running() as server:
        sadtalker_settings.SEIDRA_SADTALKER_URL = server.url
        first_job = first.job(tmp_path)
        client = engine().client
        remote_id = client.job_submit(image=first_job.character, audio=first_job.audio, options={"size": 256})

        result = engine().run(second.job(tmp_path, details={DETAILS_JOB_ID: remote_id, DETAILS_URL: server.url}))
        submitted = server.requests_logged("POST", "/v1/jobs", 202)

    assert submitted == 1  # only ours, above
    assert result.details[DETAILS_JOB_ID] == remote_id and second.saved == []
    assert abs(video_probe(result.mp4).duration - SECONDS) < 0.1


def test_a_cancel_is_forwarded_and_the_services_command_stops(tmp_path, sadtalker_settings):
    recorder = Recorder()
    with sadtalker_server_running(env=SLOW) as server:
        sadtalker_settings.SEIDRA_SADTALKER_URL = server.url
        job = recorder.job(tmp_path)
        outcome = {}

        def run():
            try:
                engine().run(job)
            except Exception as error:  # the test looks at it below
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not any(fraction > 0 for fraction in recorder.stages("lipsync")):
            time.sleep(0.05)
        [saved] = recorder.saved
        remote_id = saved[DETAILS_JOB_ID]
        assert processes_mentioning(remote_id), "the service's command should be running"
        recorder.cancelled.set()
        thread.join(WAIT_S)

        assert isinstance(outcome.get("error"), GenerationCancelled)
        assert server.requests_logged("DELETE", f"/v1/jobs/{remote_id}", 200) == 1
        assert processes_mentioning(remote_id) == []
        assert requests.get(f"{server.url}/v1/jobs/{remote_id}", timeout=10).status_code == 404


def test_a_job_past_the_timeout_is_cancelled_there_and_failed(tmp_path, sadtalker_settings):
    sadtalker_settings.SEIDRA_SADTALKER_JOB_TIMEOUT = 1
    recorder = Recorder()
    with sadtalker_server_running(env=SLOW) as server:
        sadtalker_settings.SEIDRA_SADTALKER_URL = server.url
        with pytest.raises(EngineError) as failed:
            engine().run(recorder.job(tmp_path))
        remote_id = recorder.saved[0][DETAILS_JOB_ID]

        assert "did not finish within 1 seconds (SEIDRA_SADTALKER_JOB_TIMEOUT)" in failed.value.message
        assert server.requests_logged("DELETE", f"/v1/jobs/{remote_id}", 200) == 1
        assert processes_mentioning(remote_id) == []


def test_a_failing_command_fails_the_job_with_its_message(tmp_path, sadtalker_settings):
    with sadtalker_server_running(env={"SADTALKER_TEST_FAIL": "CUDA out of memory"}) as server:
        sadtalker_settings.SEIDRA_SADTALKER_URL = server.url
        with pytest.raises(EngineError) as failed:
            engine().run(Recorder().job(tmp_path))

    assert failed.value.message == "SadTalker failed: the command exited with 1: RuntimeError: CUDA out of memory"


def test_a_full_queue_fails_the_job_after_the_retries(tmp_path, sadtalker_settings):
    sadtalker_settings.SEIDRA_SADTALKER_RETRIES = 1
    with sadtalker_server_running(env=SLOW, server_args=("--max-pending", "0")) as server:
        sadtalker_settings.SEIDRA_SADTALKER_URL = server.url
        with pytest.raises(EngineError) as failed:
            engine().run(Recorder().job(tmp_path))
        tries = server.requests_logged("POST", "/v1/jobs", 503)

    assert failed.value.message.startswith(f"SadTalker answered 503 to POST {server.url}/v1/jobs: the queue is full")
    assert tries == 2


def test_an_unreachable_service_fails_the_job_naming_it(tmp_path, sadtalker_settings):
    url = closed_port_url()
    sadtalker_settings.SEIDRA_SADTALKER_URL = url

    with pytest.raises(EngineError) as failed:
        engine().run(Recorder().job(tmp_path))

    assert failed.value.message.startswith(f"The SadTalker service at {url} is unreachable:")


@pytest.mark.timeout(900)  # starting a worker process (it imports torch) takes minutes on a loaded machine
@pytest.mark.django_db(transaction=True)
def test_a_video_job_succeeds_through_the_sadtalker_service_in_a_real_worker(
    worker_process, user_factory, tmp_path, settings
):
    from apps.catalog.video_request import VIDEO_ENGINE_LABELS
    from apps.gallery.models import Media, MediaKind
    from apps.jobs.models import Job, JobStatus
    from tests.support.video_inputs import video_job_submit, video_streams

    user = user_factory()
    with sadtalker_server_running(env={"SADTALKER_TEST_SECONDS_PER_STEP": "0.02"}) as server:
        settings.SEIDRA_SADTALKER_URL = server.url  # the submit side picks the engine from it
        worker = worker_process("w1", SEIDRA_SADTALKER_URL=server.url, SEIDRA_SADTALKER_POLL_SECONDS="0.2")
        job = video_job_submit(
            owner=user, character=astronaut_png(tmp_path / "astronaut.png"),
            audio=speech_wav(tmp_path / "speech.wav", seconds=2.0), duration=SECONDS,
        )  # fmt: skip
        assert job.engine == VIDEO_ENGINE_SADTALKER
        deadline = time.monotonic() + 840
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED):
                break
            time.sleep(0.1)
        remote_id = job.engine_details.get(DETAILS_JOB_ID, "")
        submitted = server.requests_logged("POST", "/v1/jobs", 202)
        forgotten = requests.get(f"{server.url}/v1/jobs/{remote_id}", timeout=10).status_code

    assert job.status == JobStatus.SUCCEEDED, f"{job.status} {job.error}\n{worker.output()}"
    assert submitted == 1 and forgotten == 404  # deleted on the service once downloaded
    assert Job.objects.get(pk=job.pk).progress == 1.0
    video = Media.objects.get(job=job, kind=MediaKind.VIDEO)
    assert video.parameters["engine_label"] == str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_SADTALKER])
    assert video.parameters["engine_facts"][DETAILS_URL] == server.url
    assert video.duration == SECONDS and video.poster and video.webm_file
    facts = video_probe(Path(video.file.path))
    assert facts.sizes == ("256x256",) and facts.audio_codecs == ("aac",) and abs(facts.duration - SECONDS) < 0.1
    assert video_streams(Path(video.webm_file.path))[0].startswith("Video: vp9")
    assert Media.objects.filter(job=job, kind=MediaKind.AUDIO).count() == 1
