"""The owner's marks, one by one and on a selection of the grid: a selection never reaches another
user's media, whatever ids it holds."""

import uuid
from pathlib import Path

import pytest

from apps.core.errors import ParameterError, SeidraError
from apps.gallery.models import Media
from apps.gallery.services import (
    media_bulk_delete,
    media_bulk_favourite_set,
    media_bulk_tag_add,
    media_favourite_set,
    media_tags_clean,
    media_tags_set,
)
from apps.gallery.thumbnails import thumbnail_names

from .helpers import stored_media


def test_tags_are_trimmed_deduplicated_ignoring_case_and_empty_ones_dropped():
    assert media_tags_clean(["  Sea  side ", "sea side", "", "   ", "Dusk", "dusk"]) == ["Sea side", "Dusk"]
    assert media_tags_clean([]) == []


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("sunset", "Expected a list of tags."),
        ([3], "Each tag must be text."),
        (["bad\x00tag"], "Each tag must be text."),
        (["x" * 41], "A tag has at most 40 characters: " + "x" * 41),
        ([f"t{n}" for n in range(21)], "At most 20 tags per image."),
    ],
)
def test_bad_tags_are_refused_saying_why(tags, message):
    with pytest.raises(ParameterError) as refused:
        media_tags_clean(tags)
    assert refused.value.errors == {"tags": message}


@pytest.mark.django_db
def test_favourite_and_tags_of_one_media_item(user_factory):
    media = stored_media(user_factory("alice"))
    media_favourite_set(media=media, favourite=True)
    media_tags_set(media=media, tags=[" night ", "Night", "city"])
    media.refresh_from_db()
    assert media.favourite is True and media.tags == ["night", "city"]


@pytest.fixture
def selection(user_factory):
    alice, bob = user_factory("alice"), user_factory("bob")
    mine = [stored_media(alice, prompt=f"mine {n}") for n in range(3)]
    theirs = stored_media(bob, prompt="theirs")
    return alice, mine, theirs


@pytest.mark.django_db
def test_bulk_delete_takes_only_the_owner_s_media_and_their_files(selection, django_capture_on_commit_callbacks):
    alice, mine, theirs = selection
    doomed = mine[:2]
    paths = [Path(m.file.storage.path(name)) for m in doomed for name in [m.file.name, *thumbnail_names(m)]]
    with django_capture_on_commit_callbacks(execute=True):
        deleted = media_bulk_delete(owner=alice, ids=[*(m.pk for m in doomed), theirs.pk, "not-an-id"])
    assert deleted == 2
    assert not any(path.exists() for path in paths)
    assert set(Media.objects.values_list("pk", flat=True)) == {mine[2].pk, theirs.pk}
    assert Path(theirs.file.path).exists()


@pytest.mark.django_db
def test_bulk_favourite_and_tag_touch_only_the_owner_s_media(selection):
    alice, mine, theirs = selection
    ids = [mine[0].pk, mine[1].pk, theirs.pk]
    assert media_bulk_favourite_set(owner=alice, ids=ids, favourite=True) == 2
    media_tags_set(media=mine[1], tags=["Trip"])
    assert media_bulk_tag_add(owner=alice, ids=ids, tag=" trip ") == 1  # mine[1] has it already
    assert media_bulk_tag_add(owner=alice, ids=ids, tag="2026") == 2
    rows = {m.pk: (m.favourite, m.tags) for m in Media.objects.all()}
    assert rows[mine[0].pk] == (True, ["trip", "2026"])
    assert rows[mine[1].pk] == (True, ["Trip", "2026"])
    assert rows[mine[2].pk] == (False, [])
    assert rows[theirs.pk] == (False, [])
    with pytest.raises(ParameterError) as refused:
        media_bulk_tag_add(owner=alice, ids=ids, tag="   ")
    assert refused.value.errors == {"tags": "Give a tag to add."}


@pytest.mark.django_db
def test_a_selection_over_the_limit_is_refused(selection):
    alice, _mine, _theirs = selection
    with pytest.raises(SeidraError) as refused:
        media_bulk_favourite_set(owner=alice, ids=[uuid.uuid4() for _ in range(1001)], favourite=True)
    assert refused.value.status == 400 and "at most 1000" in refused.value.message
