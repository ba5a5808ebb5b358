"""A share link opened by someone without an account, in Chromium: the image loads and the prompt
shows, nothing is blocked by the Content-Security-Policy; once revoked, the page says so."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from apps.gallery.services import media_store_image
from apps.gallery.sharing import share_link_create, share_link_revoke, share_link_url
from apps.jobs.models import Job, JobStatus

pytestmark = pytest.mark.browser


def test_a_visitor_without_an_account_sees_the_shared_image_until_it_is_revoked(page, live_url, user_factory):
    owner = user_factory("alice")
    job = Job.objects.create(owner=owner, status=JobStatus.RUNNING, parameters={"prompt": "x"})
    parameters = {"prompt": "a lighthouse at dusk", "seed": 3}
    media = media_store_image(job=job, index=0, image=Image.new("RGB", (96, 64), "navy"), parameters=parameters)
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
