"""POST /api/generation/video as a script uses it (multipart, a JWT): the issue's refusals, each a 400
naming its field with nothing stored; a 201 that matches the published schema; a finished video
job's outputs."""

import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from apps.core.audio import ffmpeg_exe
from apps.gallery.models import Media
from apps.gallery.services import media_store_audio, media_store_video
from apps.jobs.models import Job, JobKind, JobStatus
from apps.jobs.queueing import queued_job_ids
from apps.jobs.video_inputs import video_audio_path, video_character_path
from tests.support.image_host import ImageHost
from tests.support.openapi import assert_matches_schema, served_schema

from .test_api import client_for
from .video_support import face_png_bytes, png_bytes, upload, wav_bytes

SUBMIT = "/api/generation/video"
FIELDS = {"prompt": "a calm astronaut says hello", "duration": "3"}


# Every test here: its own media folder and the local engine (conftest.media_root).
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def alice(user_factory):
    return user_factory("alice")


@pytest.fixture
def image_hosts(settings):
    """An image host the server may fetch from (127.0.0.2, allowed as a LAN host would be) and the
    server's own loopback (127.0.0.1), which no URL may reach."""
    settings.SEIDRA_REFERENCE_FETCH_ALLOW = ["127.0.0.2/32"]
    inside = ImageHost("127.0.0.1", {"/secret.png": (200, {}, png_bytes())}).start()
    public = ImageHost("127.0.0.2", {
        "/face.png": (200, {"Content-Type": "image/png"}, face_png_bytes()),
        "/page.html": (200, {"Content-Type": "image/png"}, b"<html>not an image</html>"),
        "/jump.png": (302, {"Location": f"{inside.base}/secret.png"}, b""),
    }).start()  # fmt: skip
    yield public, inside
    public.stop()
    inside.stop()


def post(client, *, audio: bytes | None = None, files: dict | None = None, **fields):
    body = {**FIELDS, **fields}
    body["audio"] = upload("speech.wav", wav_bytes(3.0) if audio is None else audio)
    body.update(files or {})
    return client.post(SUBMIT, body, format="multipart")


def assert_refused(response, field: str, message: str, media_root: Path) -> None:
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["errors"] == {field: [message]} and answer["message"] == f"{field}: {message}"
    assert not Job.objects.exists() and not Media.objects.exists()
    inputs = media_root / "job-inputs"
    assert not inputs.exists() or not any(inputs.iterdir())


# --- The refusals --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_png_renamed_wav_is_refused(alice, media_root):
    response = post(client_for(alice), audio=png_bytes(), files={"reference_image": upload("a.png", png_bytes())})

    assert_refused(response, "audio", "Use a wav, mp3 or ogg audio file.", media_root)


@pytest.mark.django_db
def test_an_oversized_audio_file_is_refused(alice, media_root, settings):
    settings.SEIDRA_MAX_AUDIO_MB = 1

    response = post(client_for(alice), audio=wav_bytes(40.0), files={"reference_image": upload("a.png", png_bytes())})

    assert_refused(response, "audio", "The audio file is over 1 MB.", media_root)


@pytest.mark.django_db
@pytest.mark.parametrize("duration", ["1", "31"])
def test_durations_of_1_and_31_seconds_are_refused(alice, media_root, duration):
    response = post(client_for(alice), duration=duration, files={"reference_image": upload("a.png", png_bytes())})

    assert_refused(response, "duration", "The duration must be a number of seconds from 2 to 30.", media_root)


@pytest.mark.django_db
def test_a_url_to_loopback_is_refused_and_never_fetched(alice, media_root, image_hosts):
    _public, inside = image_hosts

    response = post(client_for(alice), reference_image_url=f"{inside.base}/secret.png")

    message = "127.0.0.1 points to a private or local network address (127.0.0.1): use a public image address."
    assert_refused(response, "reference_image_url", message, media_root)
    assert inside.seen == []


@pytest.mark.django_db
def test_a_url_to_a_private_address_is_refused(alice, media_root):
    response = post(client_for(alice), reference_image_url="http://10.0.0.1/face.png")

    message = "10.0.0.1 points to a private or local network address (10.0.0.1): use a public image address."
    assert_refused(response, "reference_image_url", message, media_root)


@pytest.mark.django_db
def test_a_url_redirecting_to_loopback_is_refused(alice, media_root, image_hosts):
    public, inside = image_hosts

    response = post(client_for(alice), reference_image_url=f"{public.base}/jump.png")

    message = "127.0.0.1 points to a private or local network address (127.0.0.1): use a public image address."
    assert_refused(response, "reference_image_url", message, media_root)
    assert [path for path, _host in public.seen] == ["/jump.png"] and inside.seen == []


@pytest.mark.django_db
def test_a_url_that_is_not_an_image_is_refused(alice, media_root, image_hosts):
    public, _inside = image_hosts

    response = post(client_for(alice), reference_image_url=f"{public.base}/page.html")

    message = "This file is not an image that can be read (JPEG, PNG or WebP)."
    assert_refused(response, "reference_image_url", message, media_root)


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [{"cfg_scale": "7"}, {"files": {"voice": upload("v.wav", b"RIFF")}}])
def test_unknown_fields_and_files_are_refused(alice, media_root, extra):
    files = extra.pop("files", {})
    response = post(client_for(alice), files={"reference_image": upload("a.png", png_bytes()), **files}, **extra)

    assert response.status_code == 400
    [name] = response.json()["errors"]
    assert name in ("cfg_scale", "voice") and "Unknown field" in response.json()["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_signed_out_is_401(media_root):
    from rest_framework.test import APIClient

    response = post(APIClient(), files={"reference_image": upload("a.png", png_bytes())})

    assert response.status_code == 401 and not Job.objects.exists()


# --- Accepted ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_image_from_a_url_and_a_wav_make_a_queued_job_that_matches_the_schema(alice, image_hosts):
    public, _inside = image_hosts

    response = post(
        client_for(alice), audio=wav_bytes(5.0), reference_image_url=f"{public.base}/face.png", still="true"
    )

    assert response.status_code == 201, response.json()
    assert_matches_schema(served_schema(), SUBMIT, "post", response)
    job = response.json()
    assert job["kind"] == "video" and job["status"] == "QUEUED" and job["total"] == 100 and job["outputs"] == []
    assert job["engine_label"] == "SEIDRA local motion: approximate mouth motion, not neural lip-sync"
    assert job["parameters"]["duration"] == 3.0 and job["parameters"]["audio"]["seconds"] == 5.0
    assert job["parameters"]["character"] == {"source": "url", "url": f"{public.base}/face.png"}
    assert queued_job_ids("gpu") == [job["id"]]


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_image_and_a_wav_make_a_queued_job_with_its_files_in_place(alice):
    response = post(client_for(alice), files={"reference_image": upload("face.png", face_png_bytes())}, size="512")

    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["status"] == "QUEUED" and queued_job_ids("gpu") == [job["id"]]
    assert job["parameters"]["duration"] == 3.0 and job["parameters"]["audio"]["seconds"] == 3.0
    assert job["parameters"]["size"] == 512 and job["parameters"]["character"]["source"] == "upload"
    assert video_audio_path(job["id"], "wav").read_bytes() == wav_bytes(3.0)
    with Image.open(video_character_path(job["id"])) as character:
        assert character.size == (512, 512) and character.mode == "RGB"


@pytest.mark.django_db
def test_a_finished_video_jobs_outputs_are_the_video_and_its_audio(alice, tmp_path):
    now = timezone.now()
    job = Job.objects.create(
        owner=alice, kind=JobKind.VIDEO, engine="local-motion", status=JobStatus.SUCCEEDED, progress=1.0,
        total_steps=100, step=100, started=now, finished=now, parameters={**FIELDS, "duration": 2.0},
    )  # fmt: skip
    mp4, webm, wav = tmp_path / "v.mp4", tmp_path / "v.webm", tmp_path / "a.wav"
    for path in (mp4, webm):
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=size=64x64:duration=2", str(path)], check=True
        )
    wav.write_bytes(wav_bytes(2.0))
    video = media_store_video(
        job=job, index=0, mp4=mp4, webm=webm, poster=Image.new("RGB", (64, 64)), duration=2.0, parameters={}
    )
    audio = media_store_audio(job=job, index=1, path=wav, duration=2.0, parameters={})
    client = client_for(alice)

    response = client.get(f"/api/jobs/{job.id}")

    assert_matches_schema(served_schema(), "/api/jobs/{job_id}", "get", response)
    first, second = response.json()["outputs"]
    assert first["kind"] == "video" and first["duration"] == 2.0 and (first["width"], first["height"]) == (64, 64)
    assert first["url"] == f"/media/{video.id}/file"
    assert first["webm_url"] == f"/media/{video.id}/file?part=webm"
    assert first["poster_url"] == f"/media/{video.id}/file?part=poster"
    assert second["kind"] == "audio" and second["url"] == f"/media/{audio.id}/file" and second["duration"] == 2.0
    assert second["webm_url"] is None and second["poster_url"] is None
