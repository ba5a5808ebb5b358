"""Media in an S3 bucket (SEIDRA_STORAGE=s3), against the real S3 server of the tests (moto over HTTP):
files and thumbnails land in the bucket, the web never sends their bytes but redirects their owner to a
presigned URL that expires, anyone else gets the 404 of a missing item, and deleting removes the objects."""

import io
import urllib.error
import urllib.request
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from PIL import Image

from apps.gallery.png_metadata import png_parameters_read
from apps.gallery.serving import download_filename
from apps.gallery.sharing import share_link_create, share_link_url
from apps.gallery.thumbnails import thumbnail_name, thumbnail_sizes
from tests.support.auth import log_in

from .helpers import PASSWORD, stored_media, stored_video


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def alice_browser(alice) -> Client:
    browser = Client()
    assert log_in(browser, "alice", PASSWORD)
    return browser


@pytest.fixture
def bob_browser(user_factory) -> Client:
    user_factory("bob", PASSWORD)
    browser = Client()
    assert log_in(browser, "bob", PASSWORD)
    return browser


def fetched(url: str):
    """What a browser gets from the presigned URL: (body, headers)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), response.headers


def object_bytes(s3_server, bucket: str, name: str) -> bytes:
    return s3_server.client().get_object(Bucket=bucket, Key=name)["Body"].read()


def assert_presigned_redirect(response, s3_server, *, expiry: int = 300) -> str:
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]  # the URL expires: nobody keeps the redirect
    location = response["Location"]
    assert location.startswith(f"{s3_server.endpoint_url}/")
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == [str(expiry)]
    return location


@pytest.mark.django_db
def test_an_image_lands_in_the_bucket_and_its_owner_is_redirected_to_a_presigned_url(
    s3_server, s3_bucket, alice, alice_browser, media_root
):
    media = stored_media(alice, prompt="a lighthouse at dusk")

    thumbnails = sorted(thumbnail_name(media, size) for size in thumbnail_sizes())
    assert s3_server.keys(s3_bucket) == sorted([media.file.name, *thumbnails])
    assert not media_root.exists() or not any(media_root.rglob("*.*"))  # nothing on the web's disk

    response = alice_browser.get(f"/media/{media.pk}/file")
    body, headers = fetched(assert_presigned_redirect(response, s3_server))
    assert body == object_bytes(s3_server, s3_bucket, media.file.name)
    assert headers["Content-Type"] == "image/png"
    assert png_parameters_read(body)["seidra"]["prompt"] == "a lighthouse at dusk"  # the original, metadata intact


@pytest.mark.django_db
def test_another_user_gets_the_404_of_a_missing_item_and_no_url(s3_server, s3_bucket, alice, bob_browser):
    media = stored_media(alice)

    for path in (f"/media/{media.pk}/file", f"/media/{media.pk}/file?download=1", f"/media/{media.pk}/thumbnail"):
        response = bob_browser.get(path)
        assert response.status_code == 404 and "Location" not in response
        assert s3_server.endpoint_url not in response.content.decode()


@pytest.mark.django_db
def test_the_url_expires_after_the_configured_time(s3_server, s3_bucket, alice, alice_browser, settings):
    settings.SEIDRA_S3_URL_EXPIRY = 60
    media = stored_media(alice)

    assert_presigned_redirect(alice_browser.get(f"/media/{media.pk}/file"), s3_server, expiry=60)


@pytest.mark.django_db
def test_a_download_is_saved_under_a_readable_name(s3_server, s3_bucket, alice, alice_browser):
    media = stored_media(alice, prompt="a red fox in the snow")

    response = alice_browser.get(f"/media/{media.pk}/file?download=1")
    body, headers = fetched(assert_presigned_redirect(response, s3_server))
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert download_filename(media) in headers["Content-Disposition"]
    assert body == object_bytes(s3_server, s3_bucket, media.file.name)


@pytest.mark.django_db
def test_thumbnails_redirect_and_a_missing_one_is_made_under_its_exact_name(s3_server, s3_bucket, alice, alice_browser):
    media = stored_media(alice, size=(512, 256))
    small, large = thumbnail_sizes()[0], thumbnail_sizes()[-1]
    s3_server.client().delete_object(Bucket=s3_bucket, Key=thumbnail_name(media, large))

    for size in (small, large):
        response = alice_browser.get(f"/media/{media.pk}/thumbnail?size={size}")
        body, headers = fetched(assert_presigned_redirect(response, s3_server))
        assert headers["Content-Type"] == "image/webp"
        with Image.open(io.BytesIO(body)) as thumbnail:
            assert thumbnail.format == "WEBP" and thumbnail.width == min(size, 512)
    # Made again under its own name, not a renamed copy beside it.
    thumbnails = sorted(thumbnail_name(media, size) for size in thumbnail_sizes())
    assert s3_server.keys(s3_bucket) == sorted([media.file.name, *thumbnails])


@pytest.mark.django_db
def test_a_video_s_files_are_in_the_bucket_and_each_part_redirects(
    s3_server, s3_bucket, alice, alice_browser, tmp_path
):
    video = stored_video(alice, tmp_dir=tmp_path)

    keys = s3_server.keys(s3_bucket)
    for name in (video.file.name, video.webm_file.name, video.poster.name, thumbnail_name(video, thumbnail_sizes()[0])):
        assert name in keys
    for part, name, content_type in (
        ("", video.file.name, "video/mp4"),
        ("webm", video.webm_file.name, "video/webm"),
        ("poster", video.poster.name, "image/jpeg"),
    ):
        response = alice_browser.get(f"/media/{video.pk}/file" + (f"?part={part}" if part else ""))
        body, headers = fetched(assert_presigned_redirect(response, s3_server))
        assert body == object_bytes(s3_server, s3_bucket, name) and headers["Content-Type"] == content_type
    # The bucket answers the byte ranges a <video> asks for.
    location = alice_browser.get(f"/media/{video.pk}/file")["Location"]
    request = urllib.request.Request(location, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request, timeout=30) as ranged:
        assert ranged.status == 206 and ranged.read() == object_bytes(s3_server, s3_bucket, video.file.name)[10:20]


@pytest.mark.django_db
def test_a_share_link_redirects_to_a_copy_without_the_parameters(s3_server, s3_bucket, alice):
    media = stored_media(alice, prompt="a lighthouse at dusk", model="secret-model")
    link = share_link_create(media=media, user=alice)

    visitor = Client()
    response = visitor.get(share_link_url(link) + "/file")
    body, headers = fetched(assert_presigned_redirect(response, s3_server))
    assert headers["Content-Type"] == "image/png"
    assert png_parameters_read(body) == {"parameters": "", "seidra": {}}  # neither the prompt nor the model
    with Image.open(io.BytesIO(body)) as shared, media.file.open("rb") as original, Image.open(original) as kept:
        assert shared.tobytes() == kept.tobytes()  # the same pixels
    assert b"secret-model" not in body
    assert media.file.name not in response["Location"]  # never the original, which carries the parameters


@pytest.mark.django_db
def test_a_revoked_share_link_gives_no_url(s3_server, s3_bucket, alice):
    from apps.gallery.sharing import share_link_revoke

    media = stored_media(alice)
    link = share_link_create(media=media, user=alice)
    url = share_link_url(link) + "/file"
    share_link_revoke(link=link, user=alice)

    response = Client().get(url)
    assert response.status_code == 404 and "Location" not in response


@pytest.mark.django_db
def test_the_zip_reads_the_originals_from_the_bucket(s3_server, s3_bucket, alice, alice_browser):
    mine = [
        stored_media(alice, prompt=f"picture {number}", color=colour) for number, colour in enumerate(("red", "blue"))
    ]

    response = alice_browser.post("/media/zip", {"ids": [str(item.id) for item in mine]})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    contents = sorted(archive.read(name) for name in archive.namelist())
    assert contents == sorted(object_bytes(s3_server, s3_bucket, item.file.name) for item in mine)


@pytest.mark.django_db(transaction=True)
def test_deleting_media_deletes_their_objects(s3_server, s3_bucket, alice, alice_browser, tmp_path):
    from apps.gallery.models import Media

    image, other = stored_media(alice), stored_media(alice, prompt="another")
    share_link = share_link_create(media=image, user=alice)
    Client().get(share_link_url(share_link) + "/file")  # the shared copy is made
    video = stored_video(alice, tmp_dir=tmp_path)
    audio = Media.objects.get(job=video.job, kind="audio")
    assert len(s3_server.keys(s3_bucket)) > 5

    assert alice_browser.delete(f"/api/media/{image.pk}").status_code == 204
    assert not [key for key in s3_server.keys(s3_bucket) if str(image.pk) in key or key == image.file.name]
    selection = {"action": "delete", "ids": [str(other.pk), str(video.pk), str(audio.pk)]}
    assert alice_browser.post("/media/bulk", selection).status_code in (200, 302)
    assert s3_server.keys(s3_bucket) == []


@pytest.mark.django_db
def test_pages_allow_images_and_videos_from_the_bucket(s3_server, s3_bucket, alice_browser):
    policy = dict(
        item.strip().split(" ", 1) for item in alice_browser.get("/gallery/")["Content-Security-Policy"].split(";")
    )
    assert s3_server.endpoint_url in policy["img-src"] and s3_server.endpoint_url in policy["media-src"]
    assert s3_server.endpoint_url not in policy["script-src"] and s3_server.endpoint_url not in policy["connect-src"]


def test_local_files_stay_the_default(settings):
    from apps.core.media_storage import media_storage_is_local

    assert settings.SEIDRA_STORAGE == "local" and media_storage_is_local()
