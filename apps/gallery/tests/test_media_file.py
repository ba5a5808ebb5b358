"""Output files: the owner gets the PNG (session or Bearer token); anyone else gets nothing."""

import pytest
from PIL import Image

from apps.accounts.services import access_token_create
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
