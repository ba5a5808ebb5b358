"""Workers on object storage: a `manage.py rqworker gpu` process with SEIDRA_STORAGE=s3 and a media
folder of its own (no disk shared with the web) uploads its outputs and their thumbnails to the bucket
of the tests' S3 server, reads a video job's inputs from there, and the web redirects the owner to them."""

import io
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from PIL import Image

from apps.gallery.models import Media, MediaKind
from apps.gallery.thumbnails import thumbnail_name, thumbnail_sizes
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_create, job_delete, job_retry
from apps.jobs.video_inputs import video_audio_name, video_character_name
from tests.support.auth import log_in
from tests.support.video_inputs import astronaut_png, speech_wav, video_job_submit, video_streams

# Starting a worker process (it imports torch) and running a job can each take minutes on a loaded
# two-core machine.
SLOW_MACHINE_TIMEOUT = 900
PASSWORD = "a-long-test-passphrase"
FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def finished(job: Job, worker, timeout: float = 600) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in FINAL:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} did not finish ({job.status}); worker log:\n{worker.output()}")


def worker_on_bucket(worker_process, s3_server, bucket: str, media_root: Path):
    """A worker as a second host runs it: the bucket's settings, its own empty media folder."""
    media_root.mkdir()
    return worker_process("s3-worker", SEIDRA_MEDIA_ROOT=str(media_root), **s3_server.env_for(bucket))


def browser_of(username: str) -> Client:
    browser = Client()
    assert log_in(browser, username, PASSWORD)
    return browser


def follow(response) -> tuple[bytes, str]:
    """The presigned URL the web redirected to, fetched as a browser does: (body, content type)."""
    assert response.status_code == 302 and parse_qs(urlsplit(response["Location"]).query)["X-Amz-Expires"] == ["300"]
    with urllib.request.urlopen(response["Location"], timeout=30) as answer:
        return answer.read(), answer.headers["Content-Type"]


@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
@pytest.mark.django_db(transaction=True)
def test_an_image_job_run_by_a_worker_lands_in_the_bucket_and_reaches_its_owner_only(
    tiny_model, user_factory, worker_process, s3_server, s3_bucket, tmp_path, settings
):
    owner, _other = user_factory("alice", PASSWORD), user_factory("bob", PASSWORD)
    worker = worker_on_bucket(worker_process, s3_server, s3_bucket, tmp_path / "worker-media")
    job = job_create(owner=owner, parameters={"prompt": "a red fox", "width": 32, "height": 32, "steps": 1, "seed": 7})

    assert finished(job, worker).status == JobStatus.SUCCEEDED, job.error
    [media] = Media.objects.filter(job=job)
    thumbnails = [thumbnail_name(media, size) for size in thumbnail_sizes()]
    assert s3_server.keys(s3_bucket) == sorted([media.file.name, *thumbnails])
    assert not any(path.is_file() for path in (tmp_path / "worker-media").rglob("*"))  # nothing kept on the worker
    stored = s3_server.client().get_object(Bucket=s3_bucket, Key=media.file.name)["Body"].read()

    alice = browser_of("alice")
    body, content_type = follow(alice.get(f"/media/{media.pk}/file"))
    assert body == stored and content_type == "image/png"
    thumbnail, content_type = follow(alice.get(f"/media/{media.pk}/thumbnail"))
    assert content_type == "image/webp" and Image.open(io.BytesIO(thumbnail)).format == "WEBP"
    api = alice.get(f"/api/media/{media.pk}").json()
    assert follow(alice.get(api["url"]))[0] == stored  # the API's url answers the same way

    refused = browser_of("bob").get(f"/media/{media.pk}/file")
    assert refused.status_code == 404 and "Location" not in refused


@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
@pytest.mark.django_db(transaction=True)
def test_a_video_job_reads_its_inputs_from_the_bucket_and_stores_its_outputs_there(
    user_factory, worker_process, s3_server, s3_bucket, tmp_path, django_capture_on_commit_callbacks
):
    user_factory("alice", PASSWORD)
    owner = user_factory("carol", PASSWORD)
    speech = speech_wav(tmp_path / "speech.wav", seconds=2.0)
    job = video_job_submit(owner=owner, character=astronaut_png(tmp_path / "astronaut.png"), audio=speech, duration=2.0)
    inputs = sorted([video_character_name(job.pk), video_audio_name(job.pk, "wav")])
    assert s3_server.keys(s3_bucket) == inputs  # the web stored them in the bucket, not on its disk

    worker = worker_on_bucket(worker_process, s3_server, s3_bucket, tmp_path / "worker-media")
    assert finished(job, worker).status == JobStatus.SUCCEEDED, job.error
    video = Media.objects.get(job=job, kind=MediaKind.VIDEO)
    audio = Media.objects.get(job=job, kind=MediaKind.AUDIO)
    keys = s3_server.keys(s3_bucket)
    for name in (*inputs, video.file.name, video.webm_file.name, video.poster.name, audio.file.name):
        assert name in keys
    assert thumbnail_name(video, thumbnail_sizes()[0]) in keys
    assert not any(path.is_file() for path in (tmp_path / "worker-media").rglob("*"))

    carol = browser_of("carol")
    mp4, content_type = follow(carol.get(f"/media/{video.pk}/file"))
    assert content_type == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(mp4)
    assert any(stream.startswith("Video: h264") for stream in video_streams(tmp_path / "out.mp4"))
    assert follow(carol.get(f"/media/{video.pk}/file?part=webm"))[1] == "video/webm"
    assert follow(carol.get(f"/media/{audio.pk}/file"))[0] == speech.read_bytes()  # the track as sent
    assert browser_of("alice").get(f"/media/{video.pk}/file?part=poster").status_code == 404

    # A retry gets its own copy of the inputs in the bucket; deleting the job removes only its own.
    worker.stop()  # the retry stays queued: only its inputs are looked at
    retried = job_retry(job=job)
    retried_inputs = sorted([video_character_name(retried.pk), video_audio_name(retried.pk, "wav")])
    assert set(retried_inputs) <= set(s3_server.keys(s3_bucket))
    with django_capture_on_commit_callbacks(execute=True):
        job_delete(job=Job.objects.get(pk=job.pk))
    keys = s3_server.keys(s3_bucket)
    assert not set(inputs) & set(keys) and set(retried_inputs) <= set(keys)
    assert video.file.name in keys  # the outputs stay in the gallery
