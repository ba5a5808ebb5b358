"""SEIDRA_USER_STORAGE_QUOTA_MB: once a user's files reach it, new jobs are refused with a 429 saying
what to do, on the API and the Create page; other users and an unset quota are not affected."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from apps.gallery.models import Media
from apps.gallery.selectors import media_storage_used
from apps.jobs.models import Job, JobStatus
from tests.support.auth import api_client_for, log_in

from .helpers import PASSWORD

QUICK = {"prompt": "a red fox in the snow", "width": 64, "height": 64, "steps": 2, "seed": 7}
FORM = {
    "prompt": "a red fox in the snow", "negative_prompt": "", "model": "seidra-tiny-sdxl", "size": "custom",
    "width": "64", "height": "64", "steps": "2", "guidance": "6.5", "scheduler": "euler_a", "seed": "",
    "batch_size": "1",
}  # fmt: skip
MB = 1024 * 1024
FULL = (
    "Your storage is full: your images use 2.0 MB of your 2 MB. Delete some in the Gallery to make room for new jobs."
)


def files_of(owner, *sizes: int) -> None:
    Media.objects.bulk_create(
        Media(owner=owner, file=f"outputs/{owner.pk}/{n}.png", file_size=size, created=timezone.now())
        for n, size in enumerate(sizes)
    )


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.mark.django_db
def test_the_api_refuses_new_jobs_with_429_once_the_quota_is_reached(tiny_model, alice, user_factory, settings):
    settings.SEIDRA_USER_STORAGE_QUOTA_MB = 2
    client = api_client_for(alice)
    files_of(alice, MB, MB - 1)
    assert client.post("/api/generation/image", QUICK, format="json").status_code == 201  # 1 byte left

    files_of(alice, 1)
    assert media_storage_used(owner=alice) == 2 * MB
    response = client.post("/api/generation/image", QUICK, format="json")
    assert response.status_code == 429 and response["Retry-After"]
    assert response.json()["message"] == FULL
    assert Job.objects.filter(owner=alice).count() == 1
    # Per user.
    assert api_client_for(user_factory("bob")).post("/api/generation/image", QUICK, format="json").status_code == 201
    # And a retry is a new job too.
    done = Job.objects.filter(owner=alice).first()
    Job.objects.filter(pk=done.pk).update(status=JobStatus.FAILED, finished=timezone.now())
    assert client.post(f"/api/jobs/{done.pk}/retry", {"seed": "new"}, format="json").status_code == 429


@pytest.mark.django_db
def test_no_quota_by_default(tiny_model, alice, settings):
    assert settings.SEIDRA_USER_STORAGE_QUOTA_MB is None
    files_of(alice, 50 * 1024 * MB)
    assert api_client_for(alice).post("/api/generation/image", QUICK, format="json").status_code == 201


@pytest.mark.django_db
def test_the_create_page_shows_the_full_storage_as_a_form_error(tiny_model, alice, settings):
    settings.SEIDRA_USER_STORAGE_QUOTA_MB = 2
    files_of(alice, 2 * MB)
    browser = Client()
    assert log_in(browser, "alice", PASSWORD)
    response = browser.post("/create/", FORM)
    assert response.status_code == 429
    assert FULL in response.content.decode()
    response = browser.post("/create/", FORM, HTTP_HX_REQUEST="true")
    error = re.search(r'<div class="form-error" role="alert">(.*?)</div>', response.content.decode(), re.S).group(1)
    assert FULL in error
    assert not Job.objects.exists()
