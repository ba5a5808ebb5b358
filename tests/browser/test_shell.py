"""The app shell in a real browser: sign in, the rotation alert, French, live notifications."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.accounts.services import default_admin_bootstrap
from apps.notifications.services import notification_create

pytestmark = pytest.mark.browser
PASSWORD = "violet-harbour-lantern-42"


@pytest.fixture
def admin(live_url):
    return default_admin_bootstrap(username="admin", password=PASSWORD).user


def sign_in(page, live_url: str, username: str = "admin", password: str = PASSWORD) -> None:
    page.goto(f"{live_url}/")
    expect(page).to_have_url(f"{live_url}/accounts/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_url}/")


def test_admin_signs_in_and_sees_the_shell(page, live_url, admin):
    sign_in(page, live_url)
    expect(page.get_by_role("heading", name="Welcome, admin")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main navigation")
    for section in ("Create", "Jobs", "Gallery", "Personas", "Models"):
        expect(navigation.get_by_role("link", name=section)).to_be_visible()
    navigation.get_by_role("link", name="Jobs").click()
    expect(page.get_by_test_id("empty-state")).to_contain_text("No jobs yet")
    page.get_by_label("User menu").click()
    expect(page.get_by_text("Signed in as admin")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_url}/accounts/login/")


def test_wrong_password_shows_an_error_on_the_form(page, live_url, admin):
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")


def test_staff_see_the_rotation_alert_when_the_password_is_old(page, live_url, admin):
    User.objects.filter(pk=admin.pk).update(password_changed_at=timezone.now() - timedelta(days=120))
    sign_in(page, live_url)
    expect(page.get_by_test_id("notifications-count")).to_have_text("1")
    page.get_by_label("Notifications").click()
    expect(page.get_by_text("Demo account rotation required")).to_be_visible()
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("No new notifications.")).to_be_visible()
    expect(page.get_by_test_id("notifications-count")).to_have_count(0)


def test_switching_to_french_translates_the_shell_and_the_alert(page, live_url, admin):
    User.objects.filter(pk=admin.pk).update(password_changed_at=timezone.now() - timedelta(days=120))
    sign_in(page, live_url)
    page.get_by_label("Language").select_option("fr")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("link", name="Créer")).to_be_visible()
    expect(navigation.get_by_role("link", name="Galerie")).to_be_visible()
    page.get_by_label("Notifications").click()
    expect(page.get_by_text("Rotation du compte démo requise")).to_be_visible()


def test_a_new_notification_appears_without_reloading(page, live_url, admin):
    sign_in(page, live_url)
    expect(page.get_by_test_id("notifications-count")).to_have_count(0)
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(500)  # let the page's websocket connect before the event is sent
    # From another thread, as a worker would: Playwright's event loop owns this one.
    sender = threading.Thread(
        target=notification_create, kwargs={"user": admin, "title": "Job finished", "body": "Your image is ready."}
    )
    sender.start()
    sender.join()
    expect(page.get_by_test_id("notifications-count")).to_have_text("1")
    page.get_by_label("Notifications").click()
    expect(page.get_by_text("Your image is ready.")).to_be_visible()
