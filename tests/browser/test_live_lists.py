"""New jobs appear live in the lists that would show them (no reload): the jobs table, with its
filters and on page 1 only, and the create page's recent jobs, each job once, newest on top."""

import pytest
from playwright.sync_api import expect

from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_create
from tests.browser.test_generation_page import PASSWORD, in_thread, sign_in, wait_for_socket

pytestmark = pytest.mark.browser
QUICK = {"width": 64, "height": 64, "steps": 8, "seed": 1}
# Ids of the jobs the page's websocket has spoken about, once each message was handled.
WS_HEARD = """() => {
  window.wsHeard = [];
  document.body.addEventListener("htmx:wsAfterMessage", (event) => {
    const match = /id="job-([0-9a-f-]{36})-/.exec(event.detail.message);
    if (match) window.wsHeard.push(match[1]);
  });
}"""


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def finished_job(owner, prompt: str) -> Job:
    return Job.objects.create(owner=owner, status=JobStatus.SUCCEEDED, parameters={"prompt": prompt}, total_steps=8)


def submit(owner, prompt: str) -> Job:
    return in_thread(job_create, owner=owner, parameters={**QUICK, "prompt": prompt})


def open_live(context, live_url: str, path: str):
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    wait_for_socket(page)
    return page


def test_the_jobs_table_gains_new_jobs_on_top_once_and_keeps_its_filters(page, live_url, alice, tiny_model):
    sign_in(page, live_url, "/jobs/?status=QUEUED")
    queued_only = page
    expect(queued_only.get_by_test_id("empty-state")).to_contain_text("No jobs match these filters.")
    wait_for_socket(queued_only)
    everything = open_live(page.context, live_url, "/jobs/")
    expect(everything.get_by_test_id("empty-state")).to_contain_text("No jobs yet.")
    old = finished_job(alice, "an old success")
    succeeded_only = open_live(page.context, live_url, "/jobs/?status=SUCCEEDED")
    expect(succeeded_only.locator(".job-item")).to_have_count(1)

    first = submit(alice, "first from the api")
    rows = everything.locator("#job-rows > .job-item")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("first from the api")
    expect(rows.first.locator("[data-status]")).to_have_text("Queued")
    expect(everything.get_by_test_id("empty-state")).to_be_hidden()
    expect(queued_only.locator("#job-rows > .job-item")).to_have_count(1)
    expect(queued_only.get_by_test_id("empty-state")).to_be_hidden()

    second = submit(alice, "second from the api")
    expect(queued_only.locator("#job-rows > .job-item")).to_have_count(2)
    everything.reload()  # the page as the server lists it, for comparison with the live one
    expected = [f"job-row-{job.pk}" for job in (second, first)]
    for live in (queued_only, everything):
        ids = live.locator("#job-rows > .job-item").evaluate_all("(rows) => rows.map((row) => row.id)")
        assert ids[:2] == expected, ids
    # The SUCCEEDED filter gained nothing, even after both events reached every page.
    assert succeeded_only.locator(".job-item").evaluate_all("(rows) => rows.map((row) => row.id)") == [
        f"job-row-{old.pk}"
    ]


def test_recent_jobs_gain_new_jobs_once_and_keep_their_length(page, live_url, alice, tiny_model):
    older = [finished_job(alice, f"old job {number}") for number in range(8)]
    sign_in(page, live_url, "/create/")
    wait_for_socket(page)
    page.evaluate(WS_HEARD)
    cards = page.locator("#recent-jobs > .job-item")
    expect(cards).to_have_count(8)

    from_api = submit(alice, "queued from a script")
    expect(cards.first).to_contain_text("queued from a script")
    expect(cards).to_have_count(8)  # the oldest card made room
    expect(page.locator(f"#job-card-{older[0].pk}")).to_have_count(0)

    # Submitted here: the form's answer and the websocket both bring it; it is shown once.
    page.get_by_label("Prompt", exact=True).fill("queued from this tab")
    page.get_by_label("Size").select_option("custom")
    page.get_by_label("Width").fill("64")
    page.get_by_label("Height").fill("64")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status").filter(has_text="Job queued.")).to_be_visible()
    mine = Job.objects.get(parameters__prompt="queued from this tab")
    page.wait_for_function("(id) => window.wsHeard.includes(id)", arg=str(mine.pk))
    expect(page.locator(f'#recent-jobs [data-job-id="{mine.pk}"]')).to_have_count(1)
    expect(cards.first).to_contain_text("queued from this tab")
    expect(cards.nth(1)).to_contain_text("queued from a script")
    expect(page.locator(f'#recent-jobs [data-job-id="{from_api.pk}"]')).to_have_count(1)
    expect(cards).to_have_count(8)
