"""The NSFW display preference in Chromium: chosen on the account page, a flagged output on the job
page stays blurred until clicked, and the click reveals it without leaving the page."""

import re

import pytest
from playwright.sync_api import expect

from apps.accounts.models import NsfwDisplay
from apps.gallery.services import NsfwVerdict
from tests.browser.test_generation_page import PASSWORD, sign_in, wait_for_socket
from tests.support.flagged_media import EXPOSED, finished_job_with_outputs

pytestmark = pytest.mark.browser
# Re-read the job over the page's socket (what a reconnect does) and note when htmx has settled it.
ASK_FOR_A_SNAPSHOT = """() => {
  window.snapshotSettled = false;
  document.addEventListener('htmx:wsAfterMessage', () => { window.snapshotSettled = true; }, { once: true });
  const wrapper = document.querySelector('[ws-connect]')['htmx-internal-data'].webSocket;
  wrapper.socket.send(JSON.stringify({type: 'jobs.snapshot'}));
}"""
SNAPSHOT_SETTLED = "() => window.snapshotSettled === true"


def test_a_flagged_output_is_blurred_until_clicked(page, live_url, user_factory):
    alice = user_factory("alice", PASSWORD, nsfw_display=NsfwDisplay.SHOW)
    job = finished_job_with_outputs(alice, verdicts=[NsfwVerdict(score=0.93, labels=EXPOSED)])
    sign_in(page, live_url, "/")

    # The preference, from the user menu.
    page.locator(".usermenu summary").click()
    page.locator(".usermenu").get_by_role("link", name="Preferences").click()
    expect(page.get_by_role("heading", name="Preferences")).to_be_visible()
    page.get_by_label("Blur them (click to reveal)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Preferences saved.")).to_be_visible()
    expect(page.get_by_label("Blur them (click to reveal)")).to_be_checked()

    page.goto(f"{live_url}/jobs/{job.pk}/")
    wait_for_socket(page)  # the live page re-renders its job from the snapshot it gets on connect
    output = page.get_by_test_id("job-output")
    expect(output).to_have_css("filter", re.compile(r"blur\("))
    output.click()
    expect(output).to_have_css("filter", "none")
    expect(page).to_have_url(f"{live_url}/jobs/{job.pk}/")  # the first click reveals, it does not navigate

    # A live update renders the job again from the server, blurred: what the user revealed stays revealed.
    page.evaluate(ASK_FOR_A_SNAPSHOT)
    page.wait_for_function(SNAPSHOT_SETTLED)
    expect(output).to_have_css("filter", "none")
    expect(page.locator("a.job-output")).to_have_attribute("data-nsfw-blur", "")  # rendered anew, still revealed
