"""An output's file name comes from its job and index alone: a retry after a worker died between its
upload and its commit writes over the file the dead attempt left, so no second copy stays behind."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from apps.core.media_storage import file_write_exact
from apps.gallery.models import Media
from apps.gallery.services import media_store_image
from apps.jobs.models import Job, JobStatus


def store_after_a_dead_attempt(owner) -> tuple[Media, str]:
    """The name the dead attempt wrote (a stale file, no row), then the retry's stored media."""
    job = Job.objects.create(owner=owner, status=JobStatus.RUNNING, parameters={"prompt": "a kite"})
    probe = Media(owner=owner, job=job, created=timezone.now())
    stale_name = Media._meta.get_field("file").generate_filename(probe, f"{job.id}-0.png")
    file_write_exact(stale_name, b"half an upload from the attempt that died")
    media = media_store_image(job=job, index=0, image=Image.new("RGB", (32, 32), "navy"), parameters={"seed": 1})
    return media, stale_name


def test_a_retry_writes_over_the_file_a_dead_attempt_left_on_disk(user_factory, db):
    media, stale_name = store_after_a_dead_attempt(user_factory("alice"))

    assert media.file.name == stale_name  # the same name, not a suffixed second copy
    with default_storage.open(media.file.name, "rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"  # the retry's PNG replaced the stale bytes
    folder = stale_name.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [stale_name.rsplit("/", 1)[1]]


@pytest.mark.django_db
def test_a_retry_writes_over_the_object_a_dead_attempt_left_in_the_bucket(user_factory, s3_server, s3_bucket):
    media, stale_name = store_after_a_dead_attempt(user_factory("alice"))

    assert media.file.name == stale_name
    outputs = [key for key in s3_server.keys(s3_bucket) if key.startswith("outputs/")]
    assert outputs == [stale_name]
    body = s3_server.client().get_object(Bucket=s3_bucket, Key=stale_name)["Body"].read()
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
