"""The moderation desk in the admin (staff only): the queue of flagged media, approve, hide and delete
one by one and in bulk, the owner's notification and the moderation log."""

import re

import pytest
from django.test import Client

from apps.gallery.models import Media, ModerationState
from apps.gallery.selectors import media_visible_to
from apps.gallery.services import NsfwVerdict
from apps.moderation.models import ModerationAction, ModerationActionKind
from apps.notifications.models import Notification
from tests.support.auth import log_in
from tests.support.flagged_media import finished_job_with_outputs, flagged_media_create

PASSWORD = "a-long-test-passphrase"
DESK = "/admin/moderation/flaggedmedia/"


@pytest.fixture
def owner(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def staff(user_factory):
    return user_factory("staff", PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    assert log_in(client, "staff", PASSWORD)
    return client


def _listed_ids(page: str) -> list[str]:
    return re.findall(r'name="_selected_action" value="([0-9a-f-]+)"', page)


@pytest.mark.django_db
def test_the_desk_lists_flagged_media_only_not_reviewed_first_with_blurred_thumbnails(staff_client, owner):
    reviewed = flagged_media_create(owner, prompt="older, approved")
    reviewed.moderation = ModerationState.APPROVED
    reviewed.save()
    waiting = flagged_media_create(owner, prompt="waiting")
    newest_reviewed = flagged_media_create(owner, prompt="newest, hidden")
    newest_reviewed.moderation = ModerationState.HIDDEN
    newest_reviewed.save()
    clean = finished_job_with_outputs(owner, verdicts=[NsfwVerdict(score=0.1)]).outputs.get()
    page = staff_client.get(DESK).content.decode()
    assert _listed_ids(page) == [str(waiting.pk), str(newest_reviewed.pk), str(reviewed.pk)]
    assert str(clean.pk) not in page
    assert f'src="/media/{waiting.pk}/thumbnail?size=256" class="moderation-thumbnail"' in page
    assert "css/admin-moderation.css" in page  # the blur until hovered
    assert "FEMALE_BREAST_EXPOSED 0.91" in page and "alice" in page


@pytest.mark.django_db
def test_the_desk_filters_by_score_band_label_state_and_user(staff_client, owner, user_factory):
    high = flagged_media_create(owner, score=0.95)
    medium = flagged_media_create(owner, score=0.6, labels=[{"label": "BUTTOCKS_EXPOSED", "score": 0.6}])
    bob = user_factory("bob", PASSWORD)
    bobs = flagged_media_create(bob, score=0.7)
    assert _listed_ids(staff_client.get(DESK, {"score": "high"}).content.decode()) == [str(high.pk)]
    assert _listed_ids(staff_client.get(DESK, {"label": "BUTTOCKS_EXPOSED"}).content.decode()) == [str(medium.pk)]
    assert _listed_ids(staff_client.get(DESK, {"owner__id__exact": bob.pk}).content.decode()) == [str(bobs.pk)]
    medium.moderation = ModerationState.APPROVED
    medium.save()
    assert _listed_ids(staff_client.get(DESK, {"moderation__exact": "approved"}).content.decode()) == [str(medium.pk)]


@pytest.mark.django_db
def test_hiding_one_item_with_a_reason_removes_it_from_the_gallery_tells_the_owner_and_is_logged(
    staff_client, staff, owner
):
    media = flagged_media_create(owner)
    assert media in media_visible_to(user=owner)
    page = staff_client.get(f"{DESK}{media.pk}/change/").content.decode()
    assert 'value="hide"' in page and 'value="approve"' in page
    response = staff_client.post(f"{DESK}{media.pk}/moderate/", {"moderation_action": "hide", "reason": "Too explicit"})
    assert response.status_code == 302
    media.refresh_from_db()
    assert media.moderation == ModerationState.HIDDEN and media.moderation_reason == "Too explicit"
    assert media not in media_visible_to(user=owner)
    notification = Notification.objects.get(user=owner)
    assert notification.title == "A moderator hid one of your images" and notification.body == "Too explicit"
    entry = ModerationAction.objects.get()
    assert (entry.actor, entry.action, entry.media_id, entry.media_owner, entry.reason) == (
        staff, ModerationActionKind.HIDE, media.pk, owner, "Too explicit"
    )  # fmt: skip
    log = staff_client.get("/admin/moderation/moderationaction/").content.decode()
    assert "Too explicit" in log and str(media.pk) in log


@pytest.mark.django_db
def test_bulk_approve_and_bulk_hide_with_the_default_reason(staff_client, owner):
    first, second, third = (flagged_media_create(owner) for _ in range(3))
    approve = {"action": "approve_selected", "_selected_action": [first.pk, second.pk], "reason": ""}
    assert staff_client.post(DESK, approve).status_code == 302
    first.refresh_from_db(), second.refresh_from_db()
    assert first.moderation == second.moderation == ModerationState.APPROVED
    assert ModerationAction.objects.filter(action=ModerationActionKind.APPROVE).count() == 2
    assert not Notification.objects.filter(user=owner).exists()  # nothing to tell on approval
    staff_client.post(DESK, {"action": "hide_selected", "_selected_action": [third.pk], "reason": ""})
    third.refresh_from_db()
    assert third.moderation == ModerationState.HIDDEN
    assert third.moderation_reason == "It does not follow this server's content rules."
    assert Notification.objects.get(user=owner).body == third.moderation_reason


@pytest.mark.django_db
def test_deleting_from_the_desk_removes_row_and_file_and_keeps_the_log_entry(
    staff_client, owner, django_capture_on_commit_callbacks
):
    media = flagged_media_create(owner)
    storage, name = media.file.storage, media.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            DESK, {"action": "delete_selected_media", "_selected_action": [media.pk], "reason": "Illegal content"}
        )
    assert response.status_code == 302
    assert not Media.objects.filter(pk=media.pk).exists() and not storage.exists(name)
    entry = ModerationAction.objects.get()
    assert (
        entry.action == ModerationActionKind.DELETE and entry.media_id == media.pk and entry.reason == "Illegal content"
    )
    assert Notification.objects.get(user=owner).body == "Illegal content"
    # One by one: the admin's own delete, after its confirmation page.
    other = flagged_media_create(owner)
    confirm = staff_client.get(f"{DESK}{other.pk}/delete/")
    assert confirm.status_code == 200 and "Are you sure" in confirm.content.decode()
    staff_client.post(f"{DESK}{other.pk}/delete/", {"post": "yes"})
    assert not Media.objects.filter(pk=other.pk).exists()
    assert ModerationAction.objects.filter(action=ModerationActionKind.DELETE).count() == 2


@pytest.mark.django_db
def test_the_log_is_read_only(staff_client, owner):
    page = staff_client.get("/admin/moderation/moderationaction/").content.decode()
    assert "/admin/moderation/moderationaction/add/" not in page


@pytest.mark.django_db
def test_non_staff_users_get_no_access_to_the_desk(owner):
    media = flagged_media_create(owner)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    for url in (DESK, f"{DESK}{media.pk}/change/", "/admin/moderation/moderationaction/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.post(f"{DESK}{media.pk}/moderate/", {"moderation_action": "hide", "reason": "x"})
    assert response.status_code == 302
    media.refresh_from_db()
    assert media.moderation == ModerationState.NOT_REVIEWED and not ModerationAction.objects.exists()
