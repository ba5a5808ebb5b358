"""WebP thumbnails: made with the image, or on the first request for older media; made once;
gone with the media."""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.utils import timezone
from PIL import Image

from apps.gallery.models import Media, MediaKind
from apps.gallery.services import media_delete
from apps.gallery.thumbnails import thumbnail_name
from apps.jobs.models import Job
from apps.jobs.services import job_create
from tests.support.auth import api_client_for
from tests.support.workers import burst_worker_run

from .helpers import BROWSER_NAVIGATION, bearer, stored_media


def on_disk(media: Media, name: str) -> Path:
    return Path(media.file.storage.path(name))


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "WEBP"
        return image.size


@pytest.mark.django_db
def test_storing_an_image_makes_both_thumbnails_at_their_widths_keeping_the_aspect(user_factory):
    media = stored_media(user_factory("alice"), size=(1024, 512))
    assert size_of(on_disk(media, thumbnail_name(media, 256))) == (256, 128)
    assert size_of(on_disk(media, thumbnail_name(media, 768))) == (768, 384)


@pytest.mark.django_db
def test_a_small_image_is_not_enlarged(user_factory):
    media = stored_media(user_factory("alice"), size=(64, 32))
    assert size_of(on_disk(media, thumbnail_name(media, 768))) == (64, 32)


@pytest.mark.django_db
def test_older_media_get_their_thumbnails_on_the_first_request_and_only_once(user_factory, client):
    alice = user_factory("alice")
    media = stored_media(alice, size=(800, 600))
    for size in (256, 768):  # as for media stored before thumbnails existed
        on_disk(media, thumbnail_name(media, size)).unlink()

    response = client.get(f"/media/{media.pk}/thumbnail?size=768", **bearer(alice))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content)[8:12] == b"WEBP"
    made = {size: on_disk(media, thumbnail_name(media, size)).stat().st_mtime_ns for size in (256, 768)}
    assert size_of(on_disk(media, thumbnail_name(media, 256))) == (256, 192)

    for size in (256, 768, 256):
        assert client.get(f"/media/{media.pk}/thumbnail?size={size}", **bearer(alice)).status_code == 200
    assert {size: on_disk(media, thumbnail_name(media, size)).stat().st_mtime_ns for size in (256, 768)} == made
    assert not list(on_disk(media, thumbnail_name(media, 256)).parent.glob("*.part"))


@pytest.mark.django_db
def test_a_size_that_does_not_exist_is_a_404_naming_those_that_do(user_factory, client):
    alice = user_factory("alice")
    media = stored_media(alice)
    for size in ("100", "abc", "9" * 5000):
        response = client.get(f"/media/{media.pk}/thumbnail?size={size}", **bearer(alice))
        assert response.status_code == 404
        assert response.json()["message"] == "No thumbnail of that size; the sizes are 256, 768."
    page = client.get(f"/media/{media.pk}/thumbnail?size=100", HTTP_ACCEPT=BROWSER_NAVIGATION, **bearer(alice))
    assert page.status_code == 404 and "the sizes are 256, 768" in page.content.decode()
    # Left out: the smallest.
    response = client.get(f"/media/{media.pk}/thumbnail", **bearer(alice))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"


@pytest.mark.django_db
def test_a_video_s_thumbnails_come_from_its_poster_and_an_audio_track_has_none(user_factory, client):
    alice = user_factory("alice")
    video = Media(owner=alice, kind=MediaKind.VIDEO, width=512, height=512, created=timezone.now())
    video.file.save("clip.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=False)
    poster = io.BytesIO()
    Image.new("RGB", (512, 512), (200, 30, 30)).save(poster, format="JPEG")
    video.poster.save("clip-poster.jpg", ContentFile(poster.getvalue()), save=True)
    response = client.get(f"/media/{video.pk}/thumbnail?size=256", **bearer(alice))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    thumbnail = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert thumbnail.size == (256, 256) and thumbnail.convert("RGB").getpixel((128, 128))[0] > 150

    audio = Media(owner=alice, kind=MediaKind.AUDIO, created=timezone.now())
    audio.file.save("track.wav", ContentFile(b"RIFF\x00\x00\x00\x00WAVE"), save=True)
    response = client.get(f"/media/{audio.pk}/thumbnail?size=256", **bearer(alice))
    assert response.status_code == 404 and response.json()["message"] == "An audio track has no thumbnail."


@pytest.mark.django_db
def test_deleting_a_media_item_removes_its_file_and_both_thumbnails_and_keeps_the_job(
    user_factory, django_capture_on_commit_callbacks
):
    media = stored_media(user_factory("alice"))
    files = [on_disk(media, media.file.name), *(on_disk(media, thumbnail_name(media, size)) for size in (256, 768))]
    assert all(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=True):
        media_delete(media=media)
    assert not any(path.exists() for path in files)
    assert not Media.objects.exists() and Job.objects.filter(pk=media.job_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_job_stores_its_images_with_their_thumbnails(tiny_model, user_factory):
    alice = user_factory("alice")
    parameters = {"prompt": "a lighthouse", "model": tiny_model, "width": 64, "height": 96, "steps": 2}
    job = job_create(owner=alice, parameters={**parameters, "batch_size": 2})
    burst_worker_run()

    outputs = list(Media.objects.filter(job=job).order_by("index"))
    assert len(outputs) == 2
    for media in outputs:
        assert size_of(on_disk(media, thumbnail_name(media, 256))) == (64, 96)
        assert size_of(on_disk(media, thumbnail_name(media, 768))) == (64, 96)
    # The job's outputs name them, for lists.
    client = api_client_for(alice)
    [first, _second] = client.get(f"/api/jobs/{job.pk}").json()["outputs"]
    assert first["thumbnail"] == f"/media/{outputs[0].pk}/thumbnail?size=256"
    assert client.get(first["thumbnail"])["Content-Type"] == "image/webp"


@pytest.mark.django_db
def test_templates_get_thumbnail_urls_and_a_srcset_with_the_real_widths(user_factory):
    alice = user_factory("alice")
    template = Template(
        '{% load gallery_tags %}<img src="{% thumbnail_url media 768 %}" srcset="{% thumbnail_srcset media %}">'
    )
    large = stored_media(alice, size=(1024, 512))
    base = f"/media/{large.pk}/thumbnail?size="
    html = template.render(Context({"media": large}))
    assert html == f'<img src="{base}768" srcset="{base}256 256w, {base}768 768w">'
    # 64 pixels wide: no thumbnail is wider than the image, so both sizes are one 64-pixel file.
    small = stored_media(alice, size=(64, 32))
    base = f"/media/{small.pk}/thumbnail?size="
    assert template.render(Context({"media": small})) == f'<img src="{base}768" srcset="{base}256 64w">'
