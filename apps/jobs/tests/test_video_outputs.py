"""A video job on the job pages: its stages named while it runs, and once done its video playing in
place (jobs table, Recent jobs, the job's page, the live fragment the websocket sends), with its
duration and the engine's plain label, and the audio track beside it."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from apps.gallery.tests.helpers import stored_video
from apps.jobs.events import job_state
from apps.jobs.models import Job, JobStatus
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
LOCAL_LABEL = "approximate mouth motion, not neural lip-sync"


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def client(alice) -> Client:
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


@pytest.fixture
def finished(alice, tmp_path, settings) -> Job:
    settings.MEDIA_ROOT = tmp_path / "media"
    video = stored_video(alice, prompt="a sailor sings", duration=3.0, tmp_dir=tmp_path)
    job = Job.objects.get(pk=video.job_id)
    parameters = {
        "prompt": "a sailor sings", "duration": 3.0, "size": 256, "still": False, "engine": "local-motion",
        "character": {"source": "upload", "filename": "face.png"},
        "audio": {"filename": "voice.wav", "format": "wav", "bytes": 1000, "seconds": 4.2},
    }  # fmt: skip
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, progress=1.0, parameters=parameters)
    job.refresh_from_db()
    return job


def video_player_of(page: str, job: Job) -> str:
    outputs = re.search(rf'<div id="job-{job.id}-outputs".*?</div>', page, re.S).group(0)
    match = re.search(r'<video[^>]*data-testid="job-video-player".*?</video>', outputs, re.S)
    assert match, "no video player in the job's outputs"
    return match.group(0)


def assert_plays_the_video(page: str, job: Job) -> None:
    video = job.outputs.get(kind="video")
    audio = job.outputs.get(kind="audio")
    player = video_player_of(page, job)
    assert 'controls preload="metadata"' in player and f'poster="/media/{video.id}/file?part=poster"' in player
    sources = re.findall(r'<source src="([^"]+)" type="([^"]+)"', player)
    assert sources == [(f"/media/{video.id}/file?part=webm", "video/webm"), (f"/media/{video.id}/file", "video/mp4")]
    assert 'data-testid="job-video-duration">3.0 s<' in page and LOCAL_LABEL in page
    assert f'<audio controls preload="metadata" src="/media/{audio.id}/file"' in page


@pytest.mark.django_db
def test_the_jobs_table_and_recent_jobs_play_the_finished_video(client, finished):
    table = client.get("/jobs/").content.decode()
    assert_plays_the_video(table, finished)
    assert_plays_the_video(client.get("/create/").content.decode(), finished)
    # A video has no seed of its own: one Retry (the same inputs), and its media stay when it is deleted.
    actions = re.search(rf'<div id="job-{finished.id}-actions".*?</div>', table, re.S).group(0)
    assert ">Retry</button>" in actions and "seed</button>" not in actions
    assert "Its video and audio track stay in the gallery." in actions


@pytest.mark.django_db
def test_the_job_page_plays_it_and_shows_what_was_asked(client, finished):
    page = client.get(f"/jobs/{finished.id}/").content.decode()
    assert_plays_the_video(page, finished)
    parameters = re.search(r'<dl class="job-parameters" data-testid="video-parameters">.*?</dl>', page, re.S).group(0)
    assert "voice.wav" in parameters and "4.2 s" in parameters and "(the audio is cut to it)" in parameters
    assert "uploaded: face.png" in parameters and LOCAL_LABEL in parameters and "256 × 256" in parameters
    assert "Negative prompt" not in parameters


@pytest.mark.django_db
def test_the_live_fragment_of_a_finished_video_job_carries_its_player(finished):
    fragment = render_to_string("jobs/_job-live.html", {"job": job_state(finished), "event": "job.finished"})
    assert f'id="job-{finished.id}-outputs" class="job-outputs" hx-swap-oob="true"' in fragment
    assert_plays_the_video(fragment, finished)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "label"), [("preparing", "Preparing the image"), ("lipsync", "Lip-sync"), ("encoding", "Encoding")]
)
def test_a_running_video_job_names_its_stage(client, alice, stage, label):
    job = Job.objects.create(
        owner=alice, kind="video", engine="local-motion", status=JobStatus.RUNNING, stage=stage, progress=0.4,
        step=40, total_steps=100, parameters={"prompt": "a sailor sings", "duration": 3.0},
    )  # fmt: skip
    fragment = render_to_string("jobs/_job-live.html", {"job": job_state(job), "event": "job.progress"})
    assert f'<span class="job-stage">{label}</span>' in fragment
    assert "40 %" in fragment and "step 40/100" not in fragment  # stages, not denoising steps
    assert f'<span class="job-stage">{label}</span>' in client.get("/jobs/").content.decode()


@pytest.mark.django_db
def test_a_failed_video_job_says_no_video_and_why(client, alice):
    message = "No face found in the character image: use a front-facing portrait"
    Job.objects.create(
        owner=alice, kind="video", engine="local-motion", status=JobStatus.FAILED, error=message,
        parameters={"prompt": "a sailor sings", "duration": 3.0},
    )  # fmt: skip
    page = client.get("/jobs/").content.decode()
    assert "Failed: no video" in page and message in page


@pytest.mark.django_db
def test_a_french_reader_sees_the_engine_label_in_french_on_the_page_and_live(client, finished):
    from django.utils import translation

    french = "Mouvement local SEIDRA : mouvement de bouche approximatif"
    client.cookies["django_language"] = "fr"
    assert french in client.get("/jobs/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    with translation.override("en"):  # a worker's event carries the English label
        state = job_state(finished)
    with translation.override("fr"):
        fragment = render_to_string("jobs/_job-live.html", {"job": state, "event": "job.finished"})
    assert french in fragment and "Durée" not in fragment and "3,0 s" in fragment
