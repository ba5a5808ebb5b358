"""Share links: the owner makes one, anyone holding it sees the image and its prompt without an
account; revoked, expired and forged links are refused; other users cannot see or touch them."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from apps.gallery.models import Media, ModerationState, ShareLink
from apps.gallery.png_metadata import png_parameters_read
from apps.gallery.sharing import share_link_create, share_link_url
from tests.support.auth import log_in

from .helpers import PASSWORD, stored_media

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def alice_browser(alice) -> Client:
    browser = Client()
    assert log_in(browser, "alice", PASSWORD)
    return browser


def share_urls(panel: str) -> list[str]:
    return re.findall(r'<input type="text" readonly value="([^"]+)"', panel)


@pytest.mark.django_db
def test_the_owner_creates_a_link_that_shows_the_image_and_prompt_to_anyone_without_an_account(alice, alice_browser):
    media = stored_media(alice, prompt="a lighthouse at dusk", negative_prompt="blurry", model="secret-model")
    empty = alice_browser.get(f"/media/{media.pk}/share", **HTMX).content.decode()
    assert "No active share link" in empty and share_urls(empty) == []

    panel = alice_browser.post(f"/media/{media.pk}/share", **HTMX).content.decode()
    [url] = share_urls(panel)
    assert url.startswith("http://testserver/s/")
    link = ShareLink.objects.get(media=media)
    assert link.created_by == alice
    assert abs(link.expires - link.created - timedelta(days=7)) < timedelta(seconds=1)  # SEIDRA_SHARE_LINK_DAYS

    visitor = Client()
    page = visitor.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "a lighthouse at dusk" in html
    # Nothing else of the owner: no name, no other parameter.
    assert "alice" not in html and "secret-model" not in html and "blurry" not in html
    [image_url] = re.findall(r'<img src="([^"]+)"', html)
    image = visitor.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["Cache-Control"].startswith("private")
    # The pixels, without the parameters the original carries.
    assert png_parameters_read(image.content) == {"parameters": "", "seidra": {}}
    assert image.content.startswith(b"\x89PNG")
    # The panel shows the same link again later.
    assert share_urls(alice_browser.get(f"/media/{media.pk}/share", **HTMX).content.decode()) == [url]


def assert_refused(url: str) -> None:
    for path in (url, f"{url}/file"):
        response = Client().get(path)
        assert response.status_code == 404
        assert "no longer valid" in response.content.decode()


@pytest.mark.django_db
def test_a_revoked_link_is_refused(alice, alice_browser):
    media = stored_media(alice)
    link = share_link_create(media=media, user=alice)
    url = share_link_url(link)
    assert Client().get(url).status_code == 200
    panel = alice_browser.post(f"/media/{media.pk}/share/{link.pk}/revoke", **HTMX).content.decode()
    assert share_urls(panel) == [] and "No active share link" in panel
    link.refresh_from_db()
    assert link.revoked is not None and link.revoked_by == alice
    assert_refused(url)


@pytest.mark.django_db
def test_a_link_past_its_expiry_date_is_refused(alice):
    link = share_link_create(media=stored_media(alice), user=alice)
    url = share_link_url(link)
    ShareLink.objects.filter(pk=link.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert_refused(url)


@pytest.mark.django_db
def test_a_token_older_than_the_share_link_days_is_refused_even_if_the_row_says_otherwise(alice, settings):
    """The signature's own max_age: a token signed 8 days ago fails with the default 7 days."""
    link = share_link_create(media=stored_media(alice), user=alice)
    ShareLink.objects.filter(pk=link.pk).update(created=timezone.now() - timedelta(days=8))
    link.refresh_from_db()
    url = share_link_url(link)  # signed with its (now old) creation time
    assert_refused(url)
    settings.SEIDRA_SHARE_LINK_DAYS = 9
    assert Client().get(url).status_code == 200


@pytest.mark.django_db
def test_a_link_to_media_a_moderator_hid_is_refused(alice):
    media = stored_media(alice)
    url = share_link_url(share_link_create(media=media, user=alice))
    Media.objects.filter(pk=media.pk).update(moderation=ModerationState.HIDDEN)
    assert_refused(url)


@pytest.mark.django_db
def test_forged_and_tampered_tokens_are_refused(alice):
    link = share_link_create(media=stored_media(alice), user=alice)
    url = share_link_url(link)
    token = url.removeprefix("/s/")
    other_id = "0" * 32
    assert_refused("/s/" + other_id + token[32:])  # another id with this signature
    assert_refused(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))  # a changed signature
    assert_refused("/s/not-a-token")
    assert_refused("/s/" + token.split(":")[0])  # the id alone


@pytest.mark.django_db
def test_other_users_cannot_list_create_or_revoke_links_to_someone_else_s_media(alice, user_factory):
    media = stored_media(alice)
    link = share_link_create(media=media, user=alice)
    user_factory("bob", PASSWORD)
    bob = Client()
    assert log_in(bob, "bob", PASSWORD)
    assert bob.get(f"/media/{media.pk}/share", **HTMX).status_code == 404
    assert bob.post(f"/media/{media.pk}/share", **HTMX).status_code == 404
    assert bob.post(f"/media/{media.pk}/share/{link.pk}/revoke", **HTMX).status_code == 404
    assert ShareLink.objects.filter(media=media).count() == 1 and ShareLink.objects.get().revoked is None
    # Signed out: to the login page.
    assert Client().post(f"/media/{media.pk}/share").status_code == 302


@pytest.mark.django_db
def test_staff_revoke_any_link_from_the_admin(alice, user_factory):
    links = [share_link_create(media=stored_media(alice), user=alice) for _ in range(2)]
    moderator = user_factory("moderator", PASSWORD, is_staff=True, is_superuser=True)
    admin = Client()
    assert log_in(admin, "moderator", PASSWORD)
    listing = admin.get("/admin/gallery/sharelink/?state=active")
    assert listing.status_code == 200 and str(links[0].pk) in listing.content.decode()
    response = admin.post(
        "/admin/gallery/sharelink/",
        {"action": "revoke", "_selected_action": [str(links[0].pk)]},
        follow=True,
    )
    assert "1 share link revoked." in [str(message) for message in get_messages(response.wsgi_request)]
    revoked, kept = (ShareLink.objects.get(pk=link.pk) for link in links)
    assert revoked.revoked_by == moderator and kept.revoked is None
    assert_refused(share_link_url(revoked))
    assert Client().get(share_link_url(kept)).status_code == 200
