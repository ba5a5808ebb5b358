"""A queued job says where it waits (its place among the user's waiting jobs, and how many jobs
are ahead of it), on the jobs table and the job's page, and the place moves live as the jobs
ahead finish; without a live worker it says so."""

import pytest
from playwright.sync_api import expect

from apps.jobs.services import job_create
from tests.browser.test_generation_page import PASSWORD, in_thread, sign_in, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]  # a real worker on a loaded two-core machine
QUICK = {"width": 64, "height": 64, "steps": 2, "seed": 1}
# Long enough on the CPU for both pages to be read while it runs (about a minute on two busy cores;
# reading them takes under a second).
LONG = {"width": 128, "height": 128, "steps": 50, "batch_size": 2, "seed": 3}
# Records every text the element showed: a place can pass faster than Playwright polls.
WATCH_TEXT = """(selector) => {
  window.seenTexts = [];
  const record = () => {
    const element = document.querySelector(selector);
    if (element && window.seenTexts.at(-1) !== element.textContent) window.seenTexts.push(element.textContent);
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
  record();
  window.pageMarker = "set while waiting";
}"""


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def submit(owner, prompt: str, parameters: dict):
    return in_thread(job_create, owner=owner, parameters={**parameters, "prompt": prompt})


def test_a_queued_job_shows_its_place_and_moves_up_live_as_the_jobs_ahead_finish(
    page, live_url, alice, tiny_model, worker_process
):
    sign_in(page, live_url, "/jobs/")
    wait_for_socket(page)
    unattended = submit(alice, "no worker yet", QUICK)
    expect(page.locator(f"#job-{unattended.pk}-eta")).to_have_text("no worker is running: it starts once one does")

    worker_process("w1").wait_listening()
    expect(page.locator(f"#job-{unattended.pk}-status [data-status]")).to_have_text("Succeeded", timeout=300_000)

    first = submit(alice, "first, long", LONG)
    expect(page.locator(f"#job-{first.pk}-status [data-status]")).to_have_text("Running", timeout=60_000)
    second = submit(alice, "second, long", LONG)
    third = submit(alice, "third", QUICK)
    second_eta, third_eta = page.locator(f"#job-{second.pk}-eta"), page.locator(f"#job-{third.pk}-eta")
    expect(second_eta).to_have_text("1st of yours in the queue · 1 job ahead")
    expect(third_eta).to_have_text("2nd of yours in the queue · 2 jobs ahead")
    detail = page.context.new_page()
    detail.goto(f"{live_url}/jobs/{third.pk}/")
    wait_for_socket(detail)
    expect(detail.locator(f"#job-{third.pk}-eta")).to_have_text("2nd of yours in the queue · 2 jobs ahead")
    for watched in (page, detail):
        watched.evaluate(WATCH_TEXT, f"#job-{third.pk}-eta")

    # The first job finishes, the worker takes the second: the third moves up on both pages.
    expect(page.locator(f"#job-{second.pk}-status [data-status]")).to_have_text("Running", timeout=600_000)
    for watched in (page, detail):
        watched.wait_for_function(
            "() => window.seenTexts.includes('1st of yours in the queue · 1 job ahead')", timeout=60_000
        )
        assert watched.evaluate("() => window.pageMarker") == "set while waiting"  # never reloaded
    assert first.pk != second.pk
