"""The moderation desk in Chromium, as staff use it: open the queue, hide a flagged image with a
reason, approve others in bulk; the owner's gallery loses the hidden one, the owner reads why in
their notifications, and the moderation log lists every action."""

import pytest
from playwright.sync_api import expect

from apps.gallery.models import ModerationState
from apps.gallery.selectors import media_visible_to
from apps.moderation.models import ModerationAction
from tests.support.flagged_media import flagged_media_create

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-passphrase"


def admin_sign_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_hide_one_with_a_reason_and_approve_in_bulk(browser, page, live_url, user_factory):
    alice = user_factory("alice", PASSWORD)
    user_factory("root", PASSWORD, is_staff=True, is_superuser=True)
    doomed = flagged_media_create(alice, prompt="the doomed one")
    others = [flagged_media_create(alice, prompt=f"fine {index}") for index in range(2)]

    admin_sign_in(page, live_url, "root")
    page.get_by_role("link", name="Moderation desk").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    thumbnail = page.get_by_test_id("moderation-thumbnail").first
    assert "blur" in thumbnail.evaluate("(image) => getComputedStyle(image).filter")

    # One by one: open the item, give the reason, hide it.
    page.locator(f'a[href*="/admin/moderation/flaggedmedia/{doomed.pk}/change/"]').first.click()
    page.get_by_label("Reason (told to the owner when hidden)").fill("Too explicit for this server")
    page.get_by_role("button", name="Hide", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Hidden: gone from its owner's gallery")
    doomed.refresh_from_db()
    assert doomed.moderation == ModerationState.HIDDEN
    assert doomed not in media_visible_to(user=alice)

    # In bulk: select the two others, approve.
    for media in others:
        page.locator(f'input[name="_selected_action"][value="{media.pk}"]').check()
    page.locator('select[name="action"]').select_option("approve_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("2 media items approved.")
    for media in others:
        media.refresh_from_db()
        assert media.moderation == ModerationState.APPROVED

    # The log: who, what, which media, why.
    page.goto(f"{live_url}/admin/moderation/moderationaction/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#result_list")).to_contain_text("Too explicit for this server")
    assert ModerationAction.objects.filter(actor__username="root").count() == 3

    # The owner reads why in their notifications.
    owner_page = browser.new_context(locale="en-US").new_page()
    owner_page.goto(f"{live_url}/accounts/login/?next=/notifications/")
    owner_page.get_by_label("Username").fill("alice")
    owner_page.get_by_label("Password").fill(PASSWORD)
    owner_page.get_by_role("button", name="Sign in").click()
    notification = owner_page.locator(".notification-list")
    expect(notification).to_contain_text("A moderator hid one of your images")
    expect(notification).to_contain_text("Too explicit for this server")
    owner_page.context.close()


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(page, live_url, user_factory):
    alice = user_factory("alice", PASSWORD)
    media = flagged_media_create(alice)
    admin_sign_in(page, live_url, "alice")
    expect(page.locator(".errornote")).to_be_visible()  # the admin refuses a non-staff account
    page.goto(f"{live_url}/admin/moderation/flaggedmedia/{media.pk}/change/")
    expect(page).to_have_url(f"{live_url}/admin/login/?next=/admin/moderation/flaggedmedia/{media.pk}/change/")
