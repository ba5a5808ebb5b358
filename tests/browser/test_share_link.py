"""A share link opened by someone without an account, in Chromium: the image loads and the prompt
shows, nothing is blocked by the Content-Security-Policy; once revoked, the page says so."""

import pytest
from django.template.loader import render_to_string
from PIL import Image
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.gallery.models import ShareLink
from apps.gallery.services import media_store_image
from apps.gallery.sharing import share_link_create, share_link_revoke, share_link_url
from apps.jobs.models import Job, JobStatus

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-passphrase"


def stored(owner, prompt: str = "a lighthouse at dusk"):
    job = Job.objects.create(owner=owner, status=JobStatus.RUNNING, parameters={"prompt": "x"})
    parameters = {"prompt": prompt, "seed": 3}
    return media_store_image(job=job, index=0, image=Image.new("RGB", (96, 64), "navy"), parameters=parameters)


def test_a_visitor_without_an_account_sees_the_shared_image_until_it_is_revoked(page, live_url, user_factory):
    owner = user_factory("alice")
    media = stored(owner)
    link = share_link_create(media=media, user=owner)
    blocked: list[str] = []
    page.on("console", lambda message: message.type == "error" and blocked.append(message.text))

    page.goto(live_url + share_link_url(link))
    image = page.get_by_test_id("shared-image")
    expect(page.get_by_test_id("shared-prompt")).to_have_text("a lighthouse at dusk")
    page.wait_for_function("(image) => image.complete && image.naturalWidth === 96", arg=image.element_handle())
    expect(page.locator(".usermenu")).to_have_count(0)  # nobody is signed in
    assert "alice" not in page.content()
    assert blocked == []

    share_link_revoke(link=link, user=owner)
    page.reload()
    expect(page.get_by_test_id("share-invalid")).to_contain_text("This link is no longer valid")
    expect(page.get_by_test_id("shared-image")).to_have_count(0)


def test_the_owner_s_share_panel_creates_copies_and_revokes_links(page, live_url, user_factory):
    """The panel as the gallery's lightbox includes it (templates/gallery/_share.html), on a signed-in
    page: it loads its list, and each action answers with the panel again."""
    user_factory("alice", PASSWORD)
    media = stored(User.objects.get(username="alice"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()
    blocked: list[str] = []
    page.on("console", lambda message: message.type == "error" and blocked.append(message.text))

    panel_html = render_to_string("gallery/_share.html", {"media": media})
    page.evaluate(
        "(html) => { const box = document.createElement('div'); box.innerHTML = html;"
        " document.querySelector('main').append(box); htmx.process(box); }",
        panel_html,
    )
    panel = page.get_by_test_id("share-panel")
    expect(panel.get_by_test_id("share-empty")).to_be_visible()
    panel.get_by_role("button", name="Create share link").click()
    expect(panel.get_by_test_id("share-link")).to_have_count(1)
    url = panel.get_by_label("Share link").input_value()
    assert url.startswith(f"{live_url}/s/")

    panel.get_by_role("button", name="Copy").click()
    expect(panel.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == url

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Revoke").click()
    expect(panel.get_by_test_id("share-empty")).to_be_visible()
    assert ShareLink.objects.get(media=media).revoked is not None
    assert blocked == []
