"""A video job's inputs in an S3 bucket (SEIDRA_STORAGE=s3, the tests' S3 server over HTTP): the web
stores them there whatever the character's source (an upload, a gallery image or a persona's reference,
both read from the bucket), nothing on its own disk; a failure halfway leaves no object behind, and a
retry whose inputs are gone is refused."""

import io

import pytest
from PIL import Image

from apps.core.errors import SeidraError
from apps.gallery.models import Media
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_retry
from apps.jobs.video_inputs import video_audio_name, video_character_name
from apps.jobs.video_submit import video_job_create
from apps.personas.services import persona_create
from tests.support.flagged_media import finished_job_with_outputs

from .video_support import png_bytes, upload, wav_bytes

FIELDS = {"prompt": "a calm astronaut says hello", "duration": "3"}


# Every test here: its own media folder and the local engine (conftest.media_root).
pytestmark = pytest.mark.usefixtures("media_root")


def submit(owner, *, reference_image=None, **data) -> Job:
    audio = upload("speech.wav", wav_bytes(3.0))
    return video_job_create(owner=owner, data={**FIELDS, **data}, audio=audio, reference_image=reference_image)


def object_bytes(s3_server, bucket: str, name: str) -> bytes:
    return s3_server.client().get_object(Bucket=bucket, Key=name)["Body"].read()


def inputs_of(s3_server, bucket: str, job: Job) -> list[str]:
    return [key for key in s3_server.keys(bucket) if key.startswith(f"job-inputs/{job.pk}/")]


@pytest.mark.django_db
def test_a_gallery_image_and_a_personas_reference_in_the_bucket_become_the_inputs_there(
    user_factory, tiny_model, s3_server, s3_bucket, media_root
):
    alice = user_factory("alice")
    media = Media.objects.get(job=finished_job_with_outputs(alice, verdicts=[None]))
    persona = persona_create(owner=alice, data={"name": "Ada"}, reference_upload=upload("ada.png", png_bytes((80, 60))))

    from_gallery = submit(alice, reference_media_id=str(media.id))
    from_persona = submit(alice, persona=str(persona.id))

    for job, size in ((from_gallery, (media.width, media.height)), (from_persona, (80, 60))):
        assert inputs_of(s3_server, s3_bucket, job) == sorted(
            [video_audio_name(job.pk, "wav"), video_character_name(job.pk)]
        )
        assert object_bytes(s3_server, s3_bucket, video_audio_name(job.pk, "wav")) == wav_bytes(3.0)
        with Image.open(io.BytesIO(object_bytes(s3_server, s3_bucket, video_character_name(job.pk)))) as character:
            assert character.size == size and character.mode == "RGB"
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*"))


@pytest.mark.django_db(transaction=True)
def test_when_storing_the_inputs_fails_halfway_no_object_stays(user_factory, s3_server, s3_bucket, monkeypatch):
    import apps.jobs.video_inputs as video_inputs

    write = video_inputs.file_write_exact

    def failing_on_audio(name, content):
        if "/audio." in name:
            raise OSError("the bucket went away")
        write(name, content)

    monkeypatch.setattr(video_inputs, "file_write_exact", failing_on_audio)
    with pytest.raises(OSError):
        submit(user_factory("alice"), reference_image=upload("a.png", png_bytes()))

    assert not Job.objects.exists() and s3_server.keys(s3_bucket) == []


@pytest.mark.django_db
def test_a_video_job_whose_inputs_left_the_bucket_cannot_be_retried(user_factory, s3_server, s3_bucket):
    job = submit(user_factory("alice"), reference_image=upload("a.png", png_bytes()))
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    job.refresh_from_db()
    s3_server.client().delete_object(Bucket=s3_bucket, Key=video_audio_name(job.pk, "wav"))

    with pytest.raises(SeidraError) as caught:
        job_retry(job=job)

    assert caught.value.status == 409 and "no longer on the server" in caught.value.message
    assert Job.objects.count() == 1 and inputs_of(s3_server, s3_bucket, job) == [video_character_name(job.pk)]
