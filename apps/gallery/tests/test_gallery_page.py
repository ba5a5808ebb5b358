"""The gallery page through Django's client: the grid and its filters in the URL, the empty states,
the lightbox and its actions, the selection's bulk actions and ZIP, and the grid's query count."""

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import NsfwDisplay
from apps.gallery.models import Media, ModerationState
from apps.gallery.tests.factories import media_create, media_rows_bulk
from apps.jobs.models import Job, JobStatus
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
CELL = re.compile(r'id="media-cell-([0-9a-f-]{36})"')


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def alice_client(client, alice):
    assert log_in(client, "alice", PASSWORD)
    return client


def cells(response) -> list[str]:
    return CELL.findall(response.content.decode())


@pytest.mark.django_db
def test_the_grid_shows_the_users_media_newest_first_with_thumbnails_never_the_original(alice_client, alice):
    older = media_create(alice, minutes_ago=10, prompt="an old castle")
    newer = media_create(alice, minutes_ago=1, prompt="a new boat")
    response = alice_client.get("/gallery/")
    assert response.status_code == 200
    assert cells(response) == [str(newer.id), str(older.id)]
    html = response.content.decode()
    assert f'srcset="/media/{newer.id}/thumbnail?size=256 64w"' in html  # 64 pixels wide: one size fits
    assert f'src="/media/{newer.id}/file"' not in html
    assert "2 items" in html


@pytest.mark.django_db
def test_filters_live_in_the_url_and_a_filter_that_hides_everything_offers_to_clear_it(alice_client, alice):
    castle = media_create(alice, minutes_ago=3, prompt="an old castle", model="model-a", favourite=True)
    boat = media_create(alice, minutes_ago=2, prompt="a new boat", model="model-b", loras=[])
    media_create(alice, minutes_ago=1, prompt="a castle by the sea", model="model-b", flagged=True)

    assert cells(alice_client.get("/gallery/?q=castle&model=model-a")) == [str(castle.id)]
    assert cells(alice_client.get("/gallery/?favourite=1")) == [str(castle.id)]
    assert cells(alice_client.get("/gallery/?model=model-b&flagged=0")) == [str(boat.id)]
    assert len(cells(alice_client.get("/gallery/?lora=watercolor"))) == 2
    page = alice_client.get("/gallery/?q=castle").content.decode()
    # The filter form shows what is chosen, and offers the models found in the user's media.
    assert 'name="q" value="castle"' in page and '<option value="model-b">model-b</option>' in page

    malformed = alice_client.get("/gallery/?from=yesterday&kind=castle").content.decode()
    assert "“from” ignored: Expected a date as YYYY-MM-DD." in malformed  # the rest of the grid still shows
    assert len(CELL.findall(malformed)) == 3

    empty = alice_client.get("/gallery/?q=submarine").content.decode()
    assert "Nothing in your gallery matches these filters." in empty
    assert 'href="/gallery/"' in empty and "Clear filters" in empty
    assert "Create new artwork" in empty  # the page head's link, whatever the grid shows


@pytest.mark.django_db
def test_a_new_user_is_pointed_to_create(alice_client):
    page = alice_client.get("/gallery/").content.decode()
    assert "Your gallery is empty." in page
    assert 'href="/create/"' in page
    assert "0\xa0bytes used" in page


@pytest.mark.django_db
def test_bytes_used_are_shown_with_the_quota_when_one_is_set(alice_client, alice, settings):
    media_create(alice)
    used = Media.objects.get().file_size
    settings.SEIDRA_USER_STORAGE_QUOTA_MB = 1
    page = alice_client.get("/gallery/").content.decode()
    assert f"{filesizeformat(used)} of 1.0\xa0MB used" in page
    assert "<meter" in page


@pytest.mark.django_db
def test_the_next_page_follows_the_last_cell_without_repeating_or_skipping(alice_client, alice, settings):
    settings.SEIDRA_GALLERY_PAGE_SIZE = 3
    media_rows_bulk(alice, 7)
    order = [str(pk) for pk in Media.objects.order_by("-created").values_list("id", flat=True)]
    first = alice_client.get("/gallery/")
    assert cells(first) == order[:3]
    seen = cells(first)
    html = first.content.decode()
    while True:
        more = re.search(r'hx-get="([^"]+)" hx-trigger="revealed" hx-swap="outerHTML"', html)
        if not more:
            break
        fragment = alice_client.get(more.group(1).replace("&amp;", "&"))
        assert fragment.status_code == 200
        html = fragment.content.decode()
        seen += cells(fragment)
    assert seen == order


@pytest.mark.django_db
def test_the_lightbox_shows_every_parameter_and_its_neighbours_in_the_filtered_order(alice_client, alice):
    first = media_create(alice, minutes_ago=3, prompt="castle one")
    media_create(alice, minutes_ago=2, prompt="a boat")
    last = media_create(alice, minutes_ago=1, prompt="castle two")
    response = alice_client.get(f"/media/{last.id}/lightbox?q=castle")
    html = response.content.decode()
    assert response.status_code == 200
    for shown in (
        "castle two",
        "blurry",
        "seidra-tiny-sdxl",
        "watercolor",
        "0.8",
        "64 × 48",
        "12",
        "6.5",
        "Euler a",
        "1234",
    ):
        assert shown in html, shown
    assert "data-lightbox-prev" not in html  # the newest has nothing on its left
    assert f"/media/{first.id}/lightbox?q=castle" in html  # the boat is filtered out
    assert f"/media/{last.id}/file?download=1" in html
    assert f"/create/?remix={last.id}" in html
    assert f"/personas/new/?from_media={last.id}" in html  # "Use for a persona"
    assert "Steps: 12, Sampler: Euler a, CFG scale: 6.5, Seed: 1234, Size: 64x48" in html  # the A1111 text to copy

    bookmarked = alice_client.get(f"/gallery/?q=castle&item={first.id}").content.decode()
    assert 'data-testid="lightbox"' in bookmarked and f'data-media-id="{first.id}"' in bookmarked


@pytest.mark.django_db
def test_another_users_lightbox_and_actions_are_404(alice, client, user_factory):
    theirs = media_create(alice, favourite=False)
    user_factory("bob", PASSWORD)
    assert log_in(client, "bob", PASSWORD)
    assert client.get(f"/media/{theirs.id}/lightbox").status_code == 404
    assert client.get(f"/gallery/?item={theirs.id}").status_code == 200  # the grid, without that item
    assert client.post(f"/media/{theirs.id}/favourite", {"favourite": "1"}).status_code == 404
    assert client.post(f"/media/{theirs.id}/tags", {"tags": "mine"}).status_code == 404
    assert client.post(f"/media/{theirs.id}/delete").status_code == 404
    assert client.post("/media/bulk", {"action": "delete", "ids": [str(theirs.id)]}).status_code == 404
    assert client.post("/media/zip", {"ids": [str(theirs.id)]}).status_code == 404
    assert cells(client.get("/gallery/")) == []
    theirs.refresh_from_db()
    assert theirs.favourite is False and theirs.tags == [] and Path(theirs.file.path).exists()


@pytest.mark.django_db
def test_favourite_and_tags_from_the_lightbox_update_it_and_its_cell(alice_client, alice):
    media = media_create(alice)
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = alice_client.post(f"/media/{media.id}/favourite", {"favourite": "1"}, **htmx)
    html = response.content.decode()
    assert response.status_code == 200 and "Remove from favourites" in html
    assert f'id="media-cell-{media.id}"' in html and 'hx-swap-oob="true"' in html and "favourite-mark" in html

    response = alice_client.post(f"/media/{media.id}/tags", {"tags": " sea , Boats,boats, , dusk "}, **htmx)
    media.refresh_from_db()
    assert media.favourite is True and media.tags == ["sea", "Boats", "dusk"]
    assert 'value="sea, Boats, dusk"' in response.content.decode()

    too_long = alice_client.post(f"/media/{media.id}/tags", {"tags": "x" * 41}, **htmx).content.decode()
    assert "A tag has at most 40 characters" in too_long
    media.refresh_from_db()
    assert media.tags == ["sea", "Boats", "dusk"]

    # Without htmx the action goes back to the gallery with the item open.
    plain = alice_client.post(f"/media/{media.id}/favourite?q=dusk", {"favourite": "0"})
    assert plain.status_code == 302 and plain["Location"] == f"/gallery/?q=dusk&item={media.id}"


@pytest.mark.django_db
def test_deleting_removes_the_file_and_the_row_and_keeps_the_job(
    alice_client, alice, django_capture_on_commit_callbacks
):
    job = Job.objects.create(owner=alice, status=JobStatus.SUCCEEDED, parameters={"prompt": "x"})
    media = media_create(alice, job=job)
    path = Path(media.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/media/{media.id}/delete", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "data-lightbox-closed" in html and f'id="media-cell-{media.id}" hx-swap-oob="delete"' in html
    assert not Media.objects.filter(pk=media.pk).exists() and not path.exists()
    assert Job.objects.filter(pk=job.pk).exists()


@pytest.mark.django_db
def test_bulk_actions_touch_only_the_users_own_selected_media(
    alice_client, alice, user_factory, django_capture_on_commit_callbacks
):
    mine = [media_create(alice, minutes_ago=number) for number in range(3)]
    bob = user_factory("bob", PASSWORD)
    theirs = media_create(bob)
    ids = [str(mine[0].id), str(mine[1].id), str(theirs.id)]
    htmx = {"HTTP_HX_REQUEST": "true"}

    response = alice_client.post("/media/bulk", {"action": "favourite", "ids": ids}, **htmx)
    assert "2 items added to favourites." in response.content.decode()
    assert list(Media.objects.filter(favourite=True)) == [mine[0], mine[1]]

    response = alice_client.post("/media/bulk", {"action": "tag", "tag": " to print ", "ids": ids}, **htmx)
    assert "Tag “to print” added to 2 items." in response.content.decode()
    assert [item.tags for item in Media.objects.filter(owner=alice)] == [["to print"], ["to print"], []]

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/media/bulk", {"action": "delete", "ids": ids}, **htmx)
    assert "2 items deleted." in response.content.decode()
    assert set(Media.objects.all()) == {mine[2], theirs}
    theirs.refresh_from_db()
    assert theirs.favourite is False and theirs.tags == []

    nothing = alice_client.post("/media/bulk", {"action": "favourite"}, **htmx).content.decode()
    assert "Select at least one of your items first." in nothing


@pytest.mark.django_db
def test_the_zip_holds_the_original_files_of_the_users_selection(alice_client, alice, user_factory):
    mine = [media_create(alice, minutes_ago=number, colour=colour) for number, colour in enumerate(("red", "blue"))]
    theirs = media_create(user_factory("bob", PASSWORD))
    response = alice_client.post("/media/zip", {"ids": [str(item.id) for item in (*mine, theirs)]})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="seidra-gallery-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    contents = sorted(archive.read(name) for name in archive.namelist())
    assert contents == sorted(Path(item.file.path).read_bytes() for item in mine)  # metadata intact: the same bytes
    assert len(archive.namelist()) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "preference, expected", [(NsfwDisplay.BLUR, "blur"), (NsfwDisplay.SHOW, "show"), (NsfwDisplay.HIDE, None)]
)
def test_flagged_media_follow_the_users_display_preference(alice_client, alice, preference, expected):
    alice.nsfw_display = preference
    alice.save()
    flagged = media_create(alice, flagged=True, nsfw_score=0.9)
    approved = media_create(alice, flagged=True, moderation=ModerationState.APPROVED)
    html = alice_client.get("/gallery/").content.decode()
    cell = re.search(rf'<figure id="media-cell-{flagged.id}" class="([^"]+)"', html)
    if expected is None:
        assert cell is None
    else:
        assert ("nsfw-blur" in cell.group(1)) == (expected == "blur")
    approved_cell = re.search(rf'<figure id="media-cell-{approved.id}" class="([^"]+)"', html)
    assert "nsfw-blur" not in approved_cell.group(1)


def _grid_queries(client) -> tuple[int, int, float]:
    with CaptureQueriesContext(connection) as page_queries:
        started = time.perf_counter()
        page = client.get("/gallery/")
        elapsed = time.perf_counter() - started
    assert page.status_code == 200
    more = re.search(r'hx-get="([^"]+)" hx-trigger="revealed"', page.content.decode())
    with CaptureQueriesContext(connection) as fragment_queries:
        assert client.get(more.group(1).replace("&amp;", "&")).status_code == 200
    return len(page_queries), len(fragment_queries), elapsed


@pytest.mark.django_db
def test_the_grid_costs_the_same_queries_for_10_and_1000_media(alice_client, alice, settings, capsys):
    settings.SEIDRA_GALLERY_PAGE_SIZE = 5
    media_rows_bulk(alice, 10)
    small = _grid_queries(alice_client)
    Media.objects.all().delete()
    settings.SEIDRA_GALLERY_PAGE_SIZE = 40
    media_rows_bulk(alice, 1000)
    large = _grid_queries(alice_client)
    assert small[:2] == large[:2]
    with capsys.disabled():  # the figures the closing note reports
        print(
            f"\ngallery page: {large[0]} queries, next page: {large[1]} queries,"
            f" page with 1000 media: {large[2] * 1000:.0f} ms"
        )
