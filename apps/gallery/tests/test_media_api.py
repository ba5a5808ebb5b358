"""The media API as a script uses it: a JWT, two users, the answers checked against the schema."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.gallery.models import Media
from apps.gallery.thumbnails import thumbnail_name
from apps.jobs.models import Job
from tests.support.auth import api_client_for
from tests.support.openapi import assert_matches_schema, served_schema

from .helpers import stored_media

LIST = "/api/media"
DETAIL = "/api/media/{media_id}"


@pytest.fixture
def alice(user_factory):
    return user_factory("alice")


@pytest.fixture
def bob(user_factory):
    return user_factory("bob")


@pytest.mark.django_db
def test_the_list_shows_one_s_own_media_newest_first_in_the_documented_shape(alice, bob):
    older = stored_media(alice, prompt="an old barn", model="model-a", persona={"id": "7" * 32, "name": "Ada"})
    Media.objects.filter(pk=older.pk).update(created=timezone.now() - timedelta(days=2))
    newer = stored_media(alice, prompt="a new bridge", model="model-b")
    stored_media(bob, prompt="bob's boat")

    client = api_client_for(alice)
    response = client.get(LIST)
    assert response.status_code == 200
    assert_matches_schema(served_schema(), LIST, "get", response)
    body = response.json()
    assert body["count"] == 2 and [item["id"] for item in body["results"]] == [str(newer.pk), str(older.pk)]
    item = body["results"][1]
    assert item["url"] == f"/media/{older.pk}/file"
    assert item["thumbnails"] == {
        "256": f"/media/{older.pk}/thumbnail?size=256",
        "768": f"/media/{older.pk}/thumbnail?size=768",
    }
    assert item["job"] == str(older.job_id) and item["persona"] == {
        "id": "77777777-7777-7777-7777-777777777777",
        "name": "Ada",
    }
    assert item["parameters"]["prompt"] == "an old barn" and item["file_size"] == older.file_size > 0
    assert (item["favourite"], item["tags"], item["flagged"], item["nsfw_score"]) == (False, [], False, None)
    assert body["results"][0]["persona"] is None

    # The gallery page's filters, by the same names.
    assert [i["id"] for i in client.get(LIST, {"model": "model-a"}).json()["results"]] == [str(older.pk)]
    assert [i["id"] for i in client.get(LIST, {"q": "bridge"}).json()["results"]] == [str(newer.pk)]
    since = timezone.localdate() - timedelta(days=1)
    assert [i["id"] for i in client.get(LIST, {"from": since.isoformat()}).json()["results"]] == [str(newer.pk)]
    paged = client.get(LIST, {"page_size": 1}).json()
    assert paged["count"] == 2 and len(paged["results"]) == 1 and "page=2" in paged["next"]


@pytest.mark.django_db
def test_a_malformed_filter_is_a_400_naming_it(alice):
    response = api_client_for(alice).get(LIST, {"kind": "painting", "from": "yesterday", "favourite": "maybe"})
    assert response.status_code == 400
    assert_matches_schema(served_schema(), LIST, "get", response)
    errors = response.json()["errors"]
    assert set(errors) == {"kind", "from", "favourite"}
    assert errors["from"] == ["Expected a date as YYYY-MM-DD."]
    assert "kind: Unknown kind; use one of image, video, audio." in response.json()["message"]


@pytest.mark.django_db
def test_another_user_s_media_is_404_on_every_endpoint_and_staff_may_open_files(alice, bob, user_factory):
    media = stored_media(alice)
    schema = served_schema()
    client = api_client_for(bob)
    answers = {
        (DETAIL, "get"): client.get(f"/api/media/{media.pk}"),
        (DETAIL, "patch"): client.patch(f"/api/media/{media.pk}", {"favourite": True}, format="json"),
        (DETAIL, "delete"): client.delete(f"/api/media/{media.pk}"),
        (DETAIL + "/file", "get"): client.get(f"/api/media/{media.pk}/file"),
        (DETAIL + "/thumbnail", "get"): client.get(f"/api/media/{media.pk}/thumbnail?size=256"),
    }
    for (path, method), response in answers.items():
        assert response.status_code == 404, (path, method)
        assert response.json()["message"] == "No such image."
        assert_matches_schema(schema, path, method, response)
    assert client.get("/api/media/not-a-uuid").status_code == 404
    assert client.get(LIST).json()["count"] == 0
    media.refresh_from_db()
    assert media.favourite is False

    # Staff open the files (moderation), not the owner's marks.
    staff = api_client_for(user_factory("moderator", is_staff=True))
    assert staff.get(f"/api/media/{media.pk}/file").status_code == 200
    assert staff.get(f"/api/media/{media.pk}/thumbnail?size=768").status_code == 200
    assert staff.get(f"/api/media/{media.pk}").status_code == 404


@pytest.mark.django_db
def test_the_owner_fetches_the_file_and_thumbnail_whatever_the_client_accepts(alice):
    media = stored_media(alice, size=(800, 400))
    client = api_client_for(alice)
    file = client.get(f"/api/media/{media.pk}/file", HTTP_ACCEPT="image/png")
    assert file.status_code == 200 and file["Content-Type"] == "image/png"
    assert b"".join(file.streaming_content).startswith(b"\x89PNG")
    assert file["Cache-Control"].startswith("private")
    assert client.get(f"/api/media/{media.pk}/file", HTTP_IF_NONE_MATCH=file["ETag"]).status_code == 304
    download = client.get(f"/api/media/{media.pk}/file?download=1")
    assert download["Content-Disposition"].startswith('attachment; filename="seidra-a-red-fox-in-the-snow-5')
    thumbnail = client.get(f"/api/media/{media.pk}/thumbnail?size=256", HTTP_ACCEPT="image/webp,*/*")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/webp"
    wrong = client.get(f"/api/media/{media.pk}/thumbnail?size=512")
    assert wrong.status_code == 404 and "256, 768" in wrong.json()["message"]


@pytest.mark.django_db
def test_patch_sets_the_favourite_and_tidy_tags(alice):
    media = stored_media(alice)
    client = api_client_for(alice)
    response = client.patch(
        f"/api/media/{media.pk}", {"favourite": True, "tags": ["  sunset ", "Sunset", "", "sea   side"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert_matches_schema(served_schema(), DETAIL, "patch", response)
    assert response.json()["favourite"] is True and response.json()["tags"] == ["sunset", "sea side"]
    media.refresh_from_db()
    assert media.favourite is True and media.tags == ["sunset", "sea side"]
    assert client.get(LIST, {"favourite": "1"}).json()["count"] == 1
    # Only what is sent changes.
    assert client.patch(f"/api/media/{media.pk}", {"favourite": False}, format="json").json()["tags"] == [
        "sunset",
        "sea side",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"tags": ["x" * 41]}, "tags", "A tag has at most 40 characters"),
        ({"tags": [f"tag {n}" for n in range(21)]}, "tags", "At most 20 tags per image."),
        ({"tags": "sunset"}, "tags", "Expected a list of items"),
        ({"favourite": "perhaps"}, "favourite", "Must be a valid boolean."),
        ({"favorite": True}, "favorite", "Unknown field. Known fields: favourite, tags."),
    ],
)
def test_patch_refuses_bad_input_naming_the_field(alice, body, field, message):
    media = stored_media(alice)
    response = api_client_for(alice).patch(f"/api/media/{media.pk}", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert message in response.json()["errors"][field][0]
    media.refresh_from_db()
    assert (media.favourite, media.tags) == (False, [])


@pytest.mark.django_db
def test_delete_removes_the_file_and_thumbnails_and_keeps_the_job(alice, django_capture_on_commit_callbacks):
    media = stored_media(alice)
    files = [Path(media.file.path)] + [Path(media.file.storage.path(thumbnail_name(media, s))) for s in (256, 768)]
    assert all(path.exists() for path in files)
    client = api_client_for(alice)
    assert client.delete(f"/api/media/{media.pk}", {"favourite": True}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/media/{media.pk}")
    assert response.status_code == 204
    assert not any(path.exists() for path in files)
    assert not Media.objects.exists() and Job.objects.filter(pk=media.job_id).exists()
    assert client.get(f"/api/media/{media.pk}").status_code == 404


def _bulk_media(owner, count: int) -> None:
    now = timezone.now()
    Media.objects.bulk_create(
        Media(
            owner=owner, file=f"outputs/{owner.pk}/bulk-{n}.png", width=64, height=64,
            created=now - timedelta(seconds=n),
            parameters={"prompt": f"image {n}", "seed": n}, model_name="model-a", lora_names="|style|",
            persona_id="7" * 32 if n % 2 else None, persona_name="Ada" if n % 2 else "",
        )
        for n in range(count)
    )  # fmt: skip


@pytest.mark.django_db
def test_a_page_of_the_list_costs_the_same_queries_with_10_and_with_1000_media(alice):
    client = api_client_for(alice)
    counts = {}
    for total in (10, 1000):
        Media.objects.all().delete()
        _bulk_media(alice, total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"lora": "style", "page": 1})
        assert response.status_code == 200 and response.json()["count"] == total
        counts[total] = len(queries)
    assert counts[10] == counts[1000] <= 4, counts


def test_the_media_endpoints_generate_no_schema_warning(capsys):
    call_command("spectacular", "--validate", "--file", os.devnull)
    problems = capsys.readouterr().err
    assert [line for line in problems.splitlines() if "media" in line.lower()] == []
