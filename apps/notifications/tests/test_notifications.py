"""Notifications: the rotation alert for staff, reading and dismissing, live delivery over a websocket."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.notifications.services import ROTATION_ALERT_KEY, notification_create
from seidra.asgi import application
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
# The Host and Origin of a page on http://localhost (the origin check compares them: apps/core/ws_origin.py).
SAME_SITE = [(b"host", b"localhost"), (b"origin", b"http://localhost")]


def age_password(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def admin(user_factory):
    return user_factory("admin", PASSWORD, is_staff=True, is_superuser=True)


def signed_in(username: str) -> Client:
    client = Client()
    assert log_in(client, username, PASSWORD)
    return client


@pytest.mark.django_db
def test_staff_see_the_rotation_alert_once_the_password_is_too_old(admin, user_factory, settings):
    settings.SEIDRA_DEFAULT_USER_ROTATION_DAYS = 90
    other_staff = user_factory("ops", PASSWORD, is_staff=True)
    plain_user = user_factory("carol", PASSWORD)
    age_password(admin, 89)
    assert "Demo account rotation required" not in signed_in("admin").get("/").content.decode()

    age_password(admin, 91)
    assert "Demo account rotation required" in signed_in("admin").get("/").content.decode()
    assert "Demo account rotation required" in signed_in("ops").get("/").content.decode()
    assert "Demo account rotation required" not in signed_in("carol").get("/").content.decode()
    assert Notification.objects.filter(key=ROTATION_ALERT_KEY).count() == 2
    assert not Notification.objects.filter(user=plain_user).exists()
    assert Notification.objects.filter(user=other_staff, is_read=False).count() == 1


@pytest.mark.django_db
def test_zero_rotation_days_disables_the_alert(admin, settings):
    settings.SEIDRA_DEFAULT_USER_ROTATION_DAYS = 0
    age_password(admin, 1000)
    assert "Demo account rotation required" not in signed_in("admin").get("/").content.decode()


@pytest.mark.django_db
def test_rotation_withdraws_the_unread_alert(admin, settings):
    from django.core.management import call_command

    age_password(admin, 120)
    signed_in("admin").get("/")
    assert Notification.objects.filter(user=admin, key=ROTATION_ALERT_KEY, is_read=False).exists()
    call_command("rotate_demo_user", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    admin.refresh_from_db()
    admin.set_password(PASSWORD)  # sign in again with a known password, as the operator would
    admin.save()
    page = signed_in("admin").get("/").content.decode()
    assert "Demo account rotation required" not in page
    assert not Notification.objects.filter(user=admin, key=ROTATION_ALERT_KEY, is_read=False).exists()


@pytest.mark.django_db
def test_dismissed_alert_stays_dismissed(admin):
    age_password(admin, 120)
    client = signed_in("admin")
    client.get("/")
    alert = Notification.objects.get(user=admin, key=ROTATION_ALERT_KEY)
    response = client.post(f"/notifications/{alert.pk}/dismiss", {"next": "/"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.is_read
    assert 'data-testid="notifications-count"' not in client.get("/").content.decode()
    assert Notification.objects.filter(user=admin, key=ROTATION_ALERT_KEY).count() == 1


@pytest.mark.django_db
def test_notification_page_lists_and_dismisses(admin, user_factory):
    bob = user_factory("bob", PASSWORD)
    mine = notification_create(user=admin, title="Job finished", body="Your image is ready.")
    theirs = notification_create(user=bob, title="Bob's secret job")
    client = signed_in("admin")

    page = client.get("/notifications/").content.decode()
    assert "Job finished" in page and "Your image is ready." in page
    assert "Bob&#x27;s secret job" not in page and "Bob's secret job" not in page

    htmx = client.post(f"/notifications/{mine.pk}/dismiss", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert 'id="notifications-area"' in htmx.content.decode()
    assert "No new notifications." in htmx.content.decode()

    # Another user's notification cannot be touched.
    assert client.post(f"/notifications/{theirs.pk}/dismiss").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


@pytest.mark.django_db
def test_empty_notification_page_says_so(admin):
    assert "You have no notifications." in signed_in("admin").get("/notifications/").content.decode()


@pytest.mark.django_db
def test_dismiss_all(admin):
    for index in range(3):
        notification_create(user=admin, title=f"Job {index} finished")
    client = signed_in("admin")
    client.post("/notifications/dismiss-all")
    assert not Notification.objects.filter(user=admin, is_read=False).exists()


@pytest.mark.django_db(transaction=True)
async def test_new_notifications_reach_only_their_owners_open_pages(user_factory):
    alice = await database_sync_to_async(user_factory)("alice", PASSWORD)
    bob = await database_sync_to_async(user_factory)("bob", PASSWORD)

    async def connect(user):
        communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=SAME_SITE)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        return communicator

    alice_socket, bob_socket = await connect(alice), await connect(bob)
    notification = await database_sync_to_async(notification_create)(user=alice, title="Job finished")

    assert await alice_socket.receive_json_from(timeout=5) == {"type": "notification.created", "id": notification.pk}
    assert await bob_socket.receive_nothing(timeout=0.5)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_and_foreign_origin_sockets_are_refused():
    anonymous = WebsocketCommunicator(application, "/ws/notifications/", headers=SAME_SITE)
    connected, code = await anonymous.connect()
    assert not connected and code == 4401
    await anonymous.disconnect()  # end the refused consumer's task in this test's event loop

    foreign = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[SAME_SITE[0], (b"origin", b"http://evil.example")]
    )
    connected, _ = await foreign.connect()
    assert not connected
    await foreign.disconnect()
