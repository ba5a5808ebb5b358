"""video_job_create as the API and the Create panel use it: real audio decoded by ffmpeg, real images,
the real Redis queue; every refusal leaves nothing behind."""

from pathlib import Path

import pytest
from PIL import Image

from apps.catalog.video_request import VIDEO_ENGINE_LOCAL
from apps.core.errors import ParameterError, SeidraError
from apps.gallery.models import Media
from apps.jobs.models import Job, JobKind, JobStatus
from apps.jobs.queueing import queued_job_ids
from apps.jobs.services import job_delete, job_retry
from apps.jobs.video_inputs import video_audio_path, video_character_path, video_inputs_dir
from apps.jobs.video_submit import PORTRAIT_PROMPT, video_job_create
from apps.personas.services import persona_create
from tests.support.flagged_media import finished_job_with_outputs

from .video_support import encoded_tone, face_png_bytes, png_bytes, upload, wav_bytes

FIELDS = {"prompt": "a calm astronaut says hello", "duration": "3"}


# Every test here: its own media folder and the local engine (conftest.media_root).
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def alice(user_factory):
    return user_factory("alice")


@pytest.fixture
def bob(user_factory):
    return user_factory("bob")


def submit(owner, *, audio=None, reference_image=None, **data) -> Job:
    audio = upload("speech.wav", wav_bytes(3.0)) if audio is None else audio
    return video_job_create(owner=owner, data={**FIELDS, **data}, audio=audio, reference_image=reference_image)


def refused(owner, **kwargs) -> dict:
    with pytest.raises(ParameterError) as caught:
        submit(owner, **kwargs)
    return caught.value.errors


def assert_nothing_stored(media_root: Path) -> None:
    assert not Job.objects.exists()
    assert not Media.objects.filter(kind__in=("video", "audio")).exists()
    inputs = media_root / "job-inputs"
    assert not inputs.exists() or not any(inputs.iterdir())


# --- Accepted ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_upload_and_a_wav_make_a_queued_video_job_with_its_inputs_in_place(alice):
    job = submit(alice, reference_image=upload("me.png", face_png_bytes()), size="512", still="true")

    job.refresh_from_db()
    assert (job.kind, job.status, job.engine, job.total_steps) == (
        JobKind.VIDEO,
        JobStatus.QUEUED,
        VIDEO_ENGINE_LOCAL,
        100,
    )
    assert queued_job_ids("gpu") == [str(job.id)]
    parameters = job.parameters
    assert parameters["duration"] == 3.0 and parameters["size"] == 512 and parameters["still"] is True
    assert parameters["audio"] == {
        "filename": "speech.wav",
        "format": "wav",
        "bytes": len(wav_bytes(3.0)),
        "seconds": 3.0,
    }
    assert parameters["character"] == {"source": "upload", "filename": "me.png"}
    assert parameters["engine"] == VIDEO_ENGINE_LOCAL and parameters["portrait"] is None
    with Image.open(video_character_path(job.id)) as character:
        assert (character.format, character.mode, character.size) == ("PNG", "RGB", (512, 512))
    assert video_audio_path(job.id, "wav").read_bytes() == wav_bytes(3.0)


@pytest.mark.django_db
@pytest.mark.parametrize("audio_format", ["mp3", "ogg"])
def test_mp3_and_ogg_tracks_are_recognised_by_content_whatever_their_name(alice, audio_format):
    track = encoded_tone(audio_format, 2.5)
    job = submit(alice, audio=upload("voice.bin", track), reference_image=upload("me.png", png_bytes()))

    recorded = job.parameters["audio"]
    assert recorded["format"] == audio_format and recorded["bytes"] == len(track)
    assert recorded["seconds"] == pytest.approx(2.5, abs=0.1)
    assert video_audio_path(job.id, audio_format).read_bytes() == track


@pytest.mark.django_db
def test_a_track_longer_than_the_video_keeps_both_figures(alice):
    job = submit(alice, audio=upload("long.wav", wav_bytes(6.0)), reference_image=upload("me.png", png_bytes()))

    assert job.parameters["duration"] == 3.0 and job.parameters["audio"]["seconds"] == 6.0


@pytest.mark.django_db
def test_a_gallery_image_of_ones_own_is_the_character(alice):
    image_job = finished_job_with_outputs(alice, verdicts=[None])
    media = Media.objects.get(job=image_job)

    job = submit(alice, reference_media_id=str(media.id))

    assert job.parameters["character"] == {"source": "media", "media_id": str(media.id)}
    with Image.open(video_character_path(job.id)) as character:
        assert character.size == (media.width, media.height) and character.mode == "RGB"


@pytest.mark.django_db
def test_another_users_gallery_image_is_no_such_image(alice, bob, media_root):
    media = Media.objects.get(job=finished_job_with_outputs(bob, verdicts=[None]))

    errors = refused(alice, reference_media_id=str(media.id))

    assert errors == {"reference_media_id": "No such image in your gallery."}
    assert not Job.objects.filter(kind=JobKind.VIDEO).exists()
    assert not (media_root / "job-inputs").exists()


@pytest.mark.django_db
def test_a_personas_reference_image_is_copied_at_submit(alice, tiny_model):
    persona = persona_create(owner=alice, data={"name": "Ada"}, reference_upload=upload("ada.png", png_bytes((80, 60))))

    job = submit(alice, persona=str(persona.id))

    record = {"id": str(persona.id), "name": "Ada"}
    assert job.parameters["character"] == {"source": "persona", "persona": record}
    assert job.parameters["persona"] == record and job.parameters["portrait"] is None
    with Image.open(video_character_path(job.id)) as character:
        assert character.size == (80, 60)


@pytest.mark.django_db
def test_with_no_image_the_portrait_is_generated_from_the_prompt_and_the_persona(alice, tiny_model):
    persona = persona_create(owner=alice, data={"name": "Ada", "prompt_template": "{prompt}, oil painting"})

    job = submit(alice, persona=str(persona.id))

    parameters = job.parameters
    assert parameters["character"] == {"source": "generated"}
    assert parameters["persona"] == {"id": str(persona.id), "name": "Ada"}
    portrait = parameters["portrait"]
    assert portrait["prompt"] == PORTRAIT_PROMPT + FIELDS["prompt"] + ", oil painting"
    assert portrait["model"] == tiny_model and portrait["persona"] == parameters["persona"]
    assert not video_character_path(job.id).exists() and video_audio_path(job.id, "wav").is_file()


# --- Refused, nothing stored ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_png_named_wav_is_refused_by_its_content(alice, media_root):
    errors = refused(
        alice, audio=upload("speech.wav", png_bytes(), "audio/wav"), reference_image=upload("a.png", png_bytes())
    )

    assert errors == {"audio": "Use a wav, mp3 or ogg audio file."}
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_a_wav_header_over_noise_fails_the_real_decode(alice, media_root):
    broken = wav_bytes(1.0)[:12] + b"\x00garbage" * 500

    errors = refused(alice, audio=upload("speech.wav", broken), reference_image=upload("a.png", png_bytes()))

    assert errors == {"audio": "This file is not an audio track that can be read (wav, mp3 or ogg)."}
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_an_audio_file_over_the_cap_is_refused(alice, media_root, settings):
    settings.SEIDRA_MAX_AUDIO_MB = 1

    errors = refused(
        alice, audio=upload("long.wav", wav_bytes(40.0)), reference_image=upload("a.png", png_bytes())
    )  # 1.28 MB

    assert errors == {"audio": "The audio file is over 1 MB."}
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_no_audio_is_refused(alice, media_root):
    with pytest.raises(ParameterError) as caught:
        video_job_create(owner=alice, data=FIELDS, audio=None, reference_image=upload("me.png", png_bytes()))

    assert "audio" in caught.value.errors
    assert_nothing_stored(media_root)


@pytest.mark.django_db
@pytest.mark.parametrize("duration", ["1", "31", "ten", ""])
def test_a_duration_outside_2_to_30_seconds_is_refused(alice, media_root, duration):
    errors = refused(alice, duration=duration, reference_image=upload("me.png", png_bytes()))

    assert errors == {"duration": "The duration must be a number of seconds from 2 to 30."}
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_a_sadtalker_option_is_refused_by_the_local_engine_and_defaults_pass(alice, media_root):
    errors = refused(
        alice, enhancer="true", pose_style="3", preprocess="crop", reference_image=upload("a.png", png_bytes())
    )

    assert set(errors) == {"enhancer", "pose_style"}
    assert errors["enhancer"].startswith("enhancer is a SadTalker option; this server makes videos with SEIDRA local")
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_blank_options_from_a_form_are_their_defaults(alice):
    blank = dict.fromkeys(("enhancer", "pose_style", "preprocess", "expression_scale", "size", "still"), "")
    job = submit(alice, reference_image=upload("a.png", png_bytes()), **blank)

    assert {name: job.parameters[name] for name in ("size", "still", "enhancer", "preprocess", "pose_style")} == {
        "size": 256, "still": False, "enhancer": False, "preprocess": "crop", "pose_style": 0,
    }  # fmt: skip


@pytest.mark.django_db
def test_with_a_sadtalker_service_its_options_are_accepted(alice, settings):
    settings.SEIDRA_SADTALKER_URL = "http://gpu-box:8002"

    job = submit(alice, reference_image=upload("a.png", png_bytes()), enhancer="on", preprocess="full", pose_style="7")

    assert job.engine == job.parameters["engine"] == "sadtalker"
    assert (job.parameters["enhancer"], job.parameters["preprocess"], job.parameters["pose_style"]) == (True, "full", 7)


@pytest.mark.django_db
def test_bad_options_and_a_missing_prompt_are_named_together(alice, media_root):
    errors = refused(alice, prompt="  ", size="300", still="maybe")

    assert set(errors) == {"prompt", "size", "still"}
    assert errors["size"] == "Choose one of 256, 512."
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_two_character_images_are_refused_naming_both(alice, media_root):
    errors = refused(
        alice, reference_image=upload("a.png", png_bytes()), reference_image_url="https://example.org/a.png"
    )

    assert list(errors) == ["non_field_errors"]
    assert "reference_image, reference_image_url were all sent" in errors["non_field_errors"]
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_an_uploaded_character_that_is_not_an_image_is_refused(alice, media_root):
    errors = refused(alice, reference_image=upload("me.png", wav_bytes(0.5)))

    assert errors == {"reference_image": "This file is not an image that can be read (JPEG, PNG or WebP)."}
    assert_nothing_stored(media_root)


@pytest.mark.django_db
def test_a_full_queue_refuses_before_reading_anything(alice, media_root, settings):
    settings.SEIDRA_MAX_QUEUED_PER_USER = 1
    submit(alice, reference_image=upload("a.png", png_bytes()))

    with pytest.raises(SeidraError) as caught:
        submit(alice, reference_image=upload("a.png", png_bytes()))

    assert caught.value.status == 429
    assert Job.objects.count() == 1 and len(list((media_root / "job-inputs").iterdir())) == 1


@pytest.mark.django_db(transaction=True)
def test_when_storing_the_inputs_fails_neither_the_row_nor_a_file_stays(alice, media_root, monkeypatch):
    import apps.jobs.video_inputs as video_inputs

    # The character is written, then writing the audio fails: the disk failing halfway.
    write = video_inputs.file_write_exact

    def failing_on_audio(name, content):
        if "/audio." in name:
            raise FileNotFoundError(name)
        write(name, content)

    monkeypatch.setattr(video_inputs, "file_write_exact", failing_on_audio)

    with pytest.raises(FileNotFoundError):
        submit(alice, reference_image=upload("a.png", png_bytes()))

    assert_nothing_stored(media_root)
    assert queued_job_ids("gpu") == []


# --- Retry and delete ----------------------------------------------------------------------------


def _finished(job: Job) -> Job:
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_a_retried_video_job_gets_its_own_copy_of_the_inputs_and_delete_removes_them(
    alice, django_capture_on_commit_callbacks
):
    job = _finished(submit(alice, reference_image=upload("a.png", png_bytes())))

    retried = job_retry(job=job)

    assert retried.kind == JobKind.VIDEO and retried.parameters == job.parameters
    assert video_character_path(retried.id).read_bytes() == video_character_path(job.id).read_bytes()
    assert video_audio_path(retried.id, "wav").read_bytes() == video_audio_path(job.id, "wav").read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        job_delete(job=job)
    assert not video_inputs_dir(job.id).exists() and video_inputs_dir(retried.id).is_dir()


@pytest.mark.django_db
def test_a_video_job_whose_inputs_are_gone_cannot_be_retried(alice):
    job = _finished(submit(alice, reference_image=upload("a.png", png_bytes())))
    video_audio_path(job.id, "wav").unlink()

    with pytest.raises(SeidraError) as caught:
        job_retry(job=job)

    assert caught.value.status == 409 and "no longer on the server" in caught.value.message
    assert Job.objects.count() == 1
