"""Output files: the owner (and staff) get the PNG (session or Bearer token); anyone else gets nothing."""

from pathlib import Path

import pytest
from PIL import Image

from apps.accounts.services import access_token_create
from apps.gallery.png_metadata import png_parameters_read
from apps.gallery.services import media_store_image
from apps.jobs.models import Job, JobStatus
from tests.support.auth import log_in


@pytest.fixture
def stored(user_factory):
    owner = user_factory("owner")
    job = Job.objects.create(owner=owner, status=JobStatus.RUNNING, parameters={"prompt": "x"})
    media = media_store_image(job=job, index=0, image=Image.new("RGB", (16, 8), "teal"), parameters={"seed": 5})
    return owner, media


@pytest.mark.django_db
def test_owner_gets_the_png_by_token_and_by_session(stored, client, user_factory):
    owner, media = stored
    url = f"/media/{media.pk}/file"
    token = access_token_create(username=owner.username, hours=1)
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")

    assert log_in(client, "owner", "a-long-test-passphrase")
    assert client.get(url).status_code == 200


BROWSER_NAVIGATION = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.django_db
def test_others_get_404_and_strangers_are_sent_to_login(stored, client, user_factory):
    _owner, media = stored
    url = f"/media/{media.pk}/file"
    no_session = client.get(url, HTTP_ACCEPT=BROWSER_NAVIGATION)
    assert no_session.status_code == 302 and no_session["Location"].startswith("/accounts/login/")
    bad = client.get(url, HTTP_AUTHORIZATION="Bearer not-a-token", HTTP_ACCEPT=BROWSER_NAVIGATION)
    assert bad.status_code == 401 and "expired" in bad.json()["message"]
    user_factory("other")
    other_token = access_token_create(username="other", hours=1)
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {other_token}").status_code == 404


@pytest.mark.django_db
def test_a_second_store_of_the_same_output_returns_the_first(stored):
    _owner, media = stored
    again = media_store_image(job=media.job, index=0, image=Image.new("RGB", (16, 8), "red"), parameters={})
    assert again.pk == media.pk and media.job.outputs.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["*/*", "application/json", "image/avif,image/webp,image/png,*/*;q=0.8", None])
def test_a_script_without_credentials_gets_the_api_401_not_the_login_page(stored, client, accept):
    """curl (*/*), a JSON client, an <img> request, or no Accept at all: the API's answer, not HTML."""
    _owner, media = stored
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(f"/media/{media.pk}/file", **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["message"] == body["detail"] == "Authentication credentials were not provided."


# --- Owner or staff; caching; the web server's accelerated send; downloads ---------------------------


@pytest.mark.django_db
def test_staff_may_open_anyone_s_file_and_thumbnail_while_another_user_gets_404(stored, client, user_factory):
    _owner, media = stored
    user_factory("moderator", is_staff=True)
    user_factory("other")
    for url in (f"/media/{media.pk}/file", f"/media/{media.pk}/thumbnail?size=768"):
        assert client.get(url, **bearer_of("moderator")).status_code == 200
        refused = client.get(url, **bearer_of("other"))
        assert refused.status_code == 404 and refused.json()["message"] == "No such image."


def bearer_of(username: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {access_token_create(username=username, hours=1)}"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["file", "thumbnail?size=256"])
def test_files_carry_an_etag_and_a_private_cache_control_and_a_matching_etag_gets_304(stored, client, path):
    owner, media = stored
    url = f"/media/{media.pk}/{path}"
    first = client.get(url, **bearer_of(owner.username))
    assert first.status_code == 200
    assert first["Cache-Control"].startswith("private")
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(url, HTTP_IF_NONE_MATCH=etag, **bearer_of(owner.username))
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert again["Cache-Control"].startswith("private")
    assert client.get(url, HTTP_IF_NONE_MATCH=f'W/{etag}, "other"', **bearer_of(owner.username)).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale"', **bearer_of(owner.username)).status_code == 200


@pytest.mark.django_db
def test_the_file_and_its_thumbnail_have_different_etags(stored, client):
    owner, media = stored
    file = client.get(f"/media/{media.pk}/file", **bearer_of(owner.username))
    thumbnail = client.get(f"/media/{media.pk}/thumbnail?size=256", **bearer_of(owner.username))
    assert file["ETag"] != thumbnail["ETag"]


@pytest.mark.django_db
def test_nginx_acceleration_answers_an_empty_response_naming_the_internal_location(stored, client, settings):
    owner, media = stored
    settings.SEIDRA_MEDIA_ACCEL, settings.SEIDRA_MEDIA_ACCEL_PREFIX = "nginx", "/protected-media/"
    response = client.get(f"/media/{media.pk}/file", **bearer_of(owner.username))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{media.file.name}"
    assert response["Content-Type"] == "image/png" and response["Cache-Control"].startswith("private")
    thumbnail = client.get(f"/media/{media.pk}/thumbnail?size=768", **bearer_of(owner.username))
    assert thumbnail["X-Accel-Redirect"] == f"/protected-media/thumbnails/{owner.pk}/{media.pk}-768.webp"
    assert thumbnail["Content-Type"] == "image/webp"
    # Credentials are still checked first.
    stranger = client.get(f"/media/{media.pk}/file")
    assert stranger.status_code == 401 and "X-Accel-Redirect" not in stranger


@pytest.mark.django_db
def test_sendfile_acceleration_names_the_absolute_path(stored, client, settings):
    owner, media = stored
    settings.SEIDRA_MEDIA_ACCEL = "sendfile"
    response = client.get(f"/media/{media.pk}/file", **bearer_of(owner.username))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Sendfile"] == str(Path(settings.MEDIA_ROOT) / media.file.name)
    assert Path(response["X-Sendfile"]).is_file()


@pytest.mark.django_db
def test_download_saves_the_original_png_with_its_parameters_under_a_readable_name(client, user_factory):
    owner = user_factory("owner")
    job = Job.objects.create(owner=owner, status=JobStatus.RUNNING, parameters={"prompt": "x"})
    parameters = {"prompt": "A red fox, in the snow!", "seed": 42, "steps": 12}
    media = media_store_image(job=job, index=0, image=Image.new("RGB", (16, 8), "teal"), parameters=parameters)
    response = client.get(f"/media/{media.pk}/file?download=1", **bearer_of("owner"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="seidra-a-red-fox-in-the-snow-42.png"'
    assert png_parameters_read(b"".join(response.streaming_content))["seidra"] == parameters
    inline = client.get(f"/media/{media.pk}/file", **bearer_of("owner"))
    assert "Content-Disposition" not in inline or not inline["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_a_missing_original_is_a_404_saying_so(stored, client):
    owner, media = stored
    Path(media.file.path).unlink()
    response = client.get(f"/media/{media.pk}/file", **bearer_of(owner.username))
    assert response.status_code == 404 and "missing on the server" in response.json()["message"]
