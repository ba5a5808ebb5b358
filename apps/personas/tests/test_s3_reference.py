"""A persona's reference image in an S3 bucket (SEIDRA_STORAGE=s3, the tests' S3 server over HTTP):
stored there, its owner redirected to a presigned URL, anyone else refused, copies and deletes on objects."""

import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.personas.services import persona_create, persona_delete, persona_duplicate
from tests.support.auth import log_in

from .conftest import PASSWORD, gallery_image, png_bytes


def browser_of(username: str) -> Client:
    browser = Client()
    assert log_in(browser, username, PASSWORD)
    return browser


def object_bytes(s3_server, bucket: str, name: str) -> bytes:
    return s3_server.client().get_object(Bucket=bucket, Key=name)["Body"].read()


@pytest.mark.django_db
def test_the_reference_image_is_in_the_bucket_and_only_its_owner_is_redirected_to_it(
    catalog, alice, bob, s3_server, s3_bucket
):
    upload = SimpleUploadedFile("face.png", png_bytes(kind="PNG"))
    mira = persona_create(owner=alice, data={"name": "Mira"}, reference_upload=upload)
    assert s3_server.keys(s3_bucket) == [mira.reference_image.name]

    response = browser_of("alice").get(f"/personas/{mira.pk}/reference")
    assert response.status_code == 302 and "no-store" in response["Cache-Control"]
    assert response["Location"].startswith(s3_server.endpoint_url)
    assert parse_qs(urlsplit(response["Location"]).query)["X-Amz-Expires"] == ["300"]
    with urllib.request.urlopen(response["Location"], timeout=30) as answer:
        assert answer.read() == png_bytes(kind="PNG") and answer.headers["Content-Type"] == "image/png"

    refused = browser_of("bob").get(f"/personas/{mira.pk}/reference")
    assert refused.status_code == 404 and "Location" not in refused


@pytest.mark.django_db(transaction=True)
def test_a_gallery_image_is_copied_within_the_bucket_and_deleting_removes_the_objects(
    catalog, alice, s3_server, s3_bucket
):
    image = gallery_image(alice)
    mira = persona_create(owner=alice, data={"name": "Mira", "reference_media_id": str(image.id)})
    copy = persona_duplicate(persona=mira)

    keys = s3_server.keys(s3_bucket)
    assert mira.reference_image.name in keys and copy.reference_image.name in keys
    assert mira.reference_image.name != copy.reference_image.name
    original = object_bytes(s3_server, s3_bucket, image.file.name)
    assert object_bytes(s3_server, s3_bucket, mira.reference_image.name) == original
    assert object_bytes(s3_server, s3_bucket, copy.reference_image.name) == original

    persona_delete(persona=mira)
    keys = s3_server.keys(s3_bucket)
    assert mira.reference_image.name not in keys and copy.reference_image.name in keys
