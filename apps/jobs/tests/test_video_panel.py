"""The Create page's "Bring characters to life" panel through the test client: its fields (labels,
help, the browser's bounds), only the configured engine's options, the engine said plainly, and the
validator's answers put next to the fields they name."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.catalog.video_request import DURATION_RANGE, VIDEO_ENGINE_LABELS, VIDEO_ENGINE_LOCAL, VIDEO_ENGINE_SADTALKER
from apps.core.errors import ParameterError, SeidraError
from apps.jobs import views
from apps.jobs.models import Job, JobKind, JobStatus
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
HTMX = {"HTTP_HX_REQUEST": "true"}
SADTALKER_ONLY = ("enhancer", "preprocess", "pose_style", "expression_scale")


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def client(alice) -> Client:
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


def panel_of(page: str) -> str:
    match = re.search(r'<form id="video-form".*?</form>', page, re.S)
    assert match, "no video panel on the page"
    return match.group(0)


def error_of(page: str, field: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_video-{field}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error shown for {field}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def wav_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("voice.wav", b"RIFF" + bytes(40), content_type="audio/wav")


@pytest.mark.django_db
def test_the_panel_offers_the_local_engine_s_options_only_and_says_what_it_is(client, settings):
    settings.SEIDRA_SADTALKER_URL = ""
    panel = panel_of(client.get("/create/").content.decode())
    assert 'enctype="multipart/form-data"' in panel and 'hx-encoding="multipart/form-data"' in panel
    assert html.escape(str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_LOCAL])) in panel
    assert "approximate mouth motion, not neural lip-sync" in panel
    for name in ("prompt", "reference_image", "reference_image_url", "reference_media_id", "persona", "audio"):
        assert f'name="video-{name}"' in panel
    assert 'name="video-size"' in panel and 'name="video-still"' in panel
    for name in SADTALKER_ONLY:
        assert f'name="video-{name}"' not in panel
    # The browser refuses a missing track or an out-of-range duration before sending.
    duration = re.search(r'<input[^>]*name="video-duration"[^>]*>', panel).group(0)
    low, high = DURATION_RANGE
    assert f'min="{low:g}"' in duration and f'max="{high:g}"' in duration and 'step="0.1"' in duration
    assert "required" in duration
    audio = re.search(r'<input[^>]*name="video-audio"[^>]*>', panel).group(0)
    assert 'accept=".wav,.mp3,.ogg' in audio and "required" in audio
    assert "From 2 to 30 seconds" in panel  # the request model's help text


@pytest.mark.django_db
def test_with_sadtalker_the_panel_offers_its_options_too(client, settings):
    settings.SEIDRA_SADTALKER_URL = "http://gpu-box:8002"
    panel = panel_of(client.get("/create/").content.decode())
    assert str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_SADTALKER]) in panel
    assert "approximate mouth motion" not in panel
    for name in ("size", "still", *SADTALKER_ONLY):
        assert f'name="video-{name}"' in panel


@pytest.mark.django_db
def test_the_panel_is_in_french_for_a_french_reader(client):
    client.cookies["django_language"] = "fr"
    panel = panel_of(client.get("/create/", HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Piste audio" in panel and "Durée (secondes)" in html.unescape(panel)


@pytest.mark.django_db
def test_validator_errors_are_shown_next_to_the_fields_they_name(client, monkeypatch):
    seen = {}

    def refuse(*, owner, data, audio, reference_image):
        seen.update(data=data, audio=audio, reference_image=reference_image)
        raise ParameterError(
            {
                "duration": "The duration must be a number of seconds from 2 to 30.",
                "audio": "Use a wav, mp3 or ogg audio file.",
            }
        )

    monkeypatch.setattr(views, "video_job_create", refuse)
    post = {"video-prompt": "a sailor sings", "video-duration": "31", "video-size": "256", "video-audio": wav_upload()}
    response = client.post("/jobs/video/new", post, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200  # htmx swaps 2xx answers only: the panel comes back with the errors
    assert error_of(page, "duration") == "The duration must be a number of seconds from 2 to 30."
    assert error_of(page, "audio") == "Use a wav, mp3 or ogg audio file."
    assert "choose the audio track" in page  # the files have to be chosen again
    # The validator got the fields as posted, blanks left out, and the upload.
    assert seen["data"] == {"prompt": "a sailor sings", "duration": "31", "size": "256", "still": "false"}
    assert seen["audio"].name == "voice.wav" and seen["reference_image"] is None
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_refusal_without_a_field_is_said_on_top(client, monkeypatch):
    def refuse(**_kwargs):
        raise SeidraError("You have too many jobs waiting: wait for one to finish.", status=429, retry_after=30)

    monkeypatch.setattr(views, "video_job_create", refuse)
    response = client.post("/jobs/video/new", {"video-duration": "3", "video-audio": wav_upload()}, **HTMX)
    assert response["Retry-After"] == "30"
    assert "too many jobs waiting" in response.content.decode()
    plain = client.post("/jobs/video/new", {"video-duration": "3", "video-audio": wav_upload()})
    assert plain.status_code == 429 and "too many jobs waiting" in plain.content.decode()


@pytest.mark.django_db
def test_a_queued_video_job_comes_back_on_top_of_recent_jobs(client, alice, monkeypatch):
    def create(*, owner, data, audio, reference_image):
        return Job.objects.create(
            owner=owner, kind=JobKind.VIDEO, engine=VIDEO_ENGINE_LOCAL, status=JobStatus.QUEUED,
            parameters={"prompt": data["prompt"], "duration": 3.0}, total_steps=100,
        )  # fmt: skip

    monkeypatch.setattr(views, "video_job_create", create)
    post = {"video-prompt": "a sailor sings", "video-duration": "3", "video-audio": wav_upload()}
    response = client.post("/jobs/video/new", post, **HTMX)
    page = response.content.decode()
    job = Job.objects.get()
    assert response.status_code == 200 and "Video job queued" in page
    assert 'hx-swap-oob="afterbegin:#recent-jobs"' in page and f'id="job-card-{job.id}"' in page
    # Without htmx: back to the Create page, where the job is listed.
    plain = client.post("/jobs/video/new", {**post, "video-audio": wav_upload()})
    assert plain.status_code == 302 and plain["Location"] == "/create/"


@pytest.mark.django_db
def test_the_gallery_pick_offers_only_the_user_s_own_images(client, alice, user_factory, tmp_path, settings):
    from apps.gallery.tests.helpers import stored_media

    settings.MEDIA_ROOT = tmp_path / "media"
    mine = stored_media(alice, prompt="my lighthouse")
    theirs = stored_media(user_factory("bob"), prompt="bob's castle")
    panel = panel_of(client.get("/create/").content.decode())
    assert f'value="{mine.id}"' in panel and "my lighthouse" in panel
    assert f'value="{theirs.id}"' not in panel


@pytest.mark.django_db
def test_the_panel_s_url_takes_posts_only_and_sends_strangers_to_log_in(client):
    assert client.get("/jobs/video/new").status_code == 405
    stranger = Client().post("/jobs/video/new", {})
    assert stranger.status_code == 302 and stranger["Location"].startswith("/accounts/login/")


# --- Through the real validator (apps/jobs/video_submit.py) ------------------------------------------


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_png_renamed_wav_and_a_duration_of_31_are_refused_next_to_their_fields(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    fake = SimpleUploadedFile("voice.wav", png_bytes(), content_type="audio/wav")
    post = {"video-prompt": "a sailor sings", "video-duration": "31", "video-audio": fake}
    page = client.post("/jobs/video/new", post, **HTMX).content.decode()
    assert "from 2 to 30" in error_of(page, "duration")
    assert "wav, mp3 or ogg" in error_of(page, "audio")
    assert not Job.objects.exists() and not (tmp_path / "media" / "job-inputs").exists()
