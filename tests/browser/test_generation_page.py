"""Generating in a real browser with a real worker: the create page, then the jobs table, both
updated live over the websocket (no reload)."""

import threading

import pytest
from playwright.sync_api import expect

from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_create

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-passphrase"
DEMO = "seidra-tiny-sdxl"
# Every step sends its event and every second step a preview, so the page can be seen moving.
# The first element of that test id has loaded its thumbnail (the lists never load the full PNG).
LOADED_THUMBNAIL = """() => {
  const image = document.querySelector('[data-testid=TESTID]');
  return image.complete && image.naturalWidth > 0 && image.currentSrc.includes('/thumbnail?size=');
}"""
LIVE_WORKER_ENV = {"SEIDRA_PROGRESS_EVENTS_PER_SECOND": "1000", "SEIDRA_PREVIEW_EVERY": "2"}

# Records what the page showed between two checks: Playwright polls, and a small job can pass
# through RUNNING and its progress steps faster than a poll.
WATCH = """() => {
  window.seen = { statuses: new Set(), percents: new Set(), preview: false };
  const all = (selector) => document.querySelectorAll('.job-item ' + selector);
  const record = () => {
    all('[data-status]').forEach((el) => window.seen.statuses.add(el.dataset.status));
    all('.job-progress').forEach((el) => window.seen.percents.add(Number(el.dataset.percent)));
    if (all('[data-testid="job-preview"]').length) window.seen.preview = true;
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
  window.pageMarker = "set before submitting";
}"""


def in_thread(function, **kwargs):
    """ORM writes that send channel events use async_to_sync: not from Playwright's loop thread."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", function(**kwargs)))
    thread.start()
    thread.join()
    return result["value"]


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def sign_in(page, live_url: str, next_path: str) -> None:
    page.goto(f"{live_url}{next_path}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_url}{next_path}")
    page.wait_for_function("() => document.readyState === 'complete'")


def wait_for_socket(page) -> None:
    """Until the page's htmx websocket is open, so no event of the job is missed."""
    page.evaluate("""() => new Promise((resolve) => {
      const element = document.querySelector('[ws-connect]');
      const socket = () => element['htmx-internal-data'] && element['htmx-internal-data'].webSocket;
      const open = () => socket() && socket().socket && socket().socket.readyState === WebSocket.OPEN;
      const check = () => (open() ? resolve() : setTimeout(check, 50));
      check();
    })""")


def test_a_submitted_image_runs_and_appears_live_on_the_create_page(page, live_url, alice, tiny_model, worker_process):
    worker = worker_process("w1", **LIVE_WORKER_ENV)
    worker.wait_registered(timeout=60)
    sign_in(page, live_url, "/create/")
    expect(page.get_by_role("heading", name="Create new artwork")).to_be_visible()
    wait_for_socket(page)

    page.get_by_label("Prompt", exact=True).fill("a red fox in the snow")
    page.get_by_label("Model").select_option(DEMO)
    page.get_by_label("Size").select_option("custom")
    page.get_by_label("Width").fill("64")
    page.get_by_label("Height").fill("64")
    page.get_by_label("Steps").fill("30")
    page.get_by_label("Seed").fill("7")
    page.evaluate(WATCH)
    page.get_by_role("button", name="Generate").click()

    expect(page.get_by_role("status").filter(has_text="Job queued.")).to_be_visible()
    card = page.locator("#recent-jobs .job-card").first
    expect(card).to_contain_text("a red fox in the snow")
    expect(card.locator("[data-status]")).to_have_text("Succeeded", timeout=90_000)
    expect(card.locator(".job-progress")).to_have_attribute("data-percent", "100")
    expect(card.locator(".job-progress")).to_contain_text("step 30/30")
    output = card.get_by_test_id("job-output")
    expect(output).to_be_visible()
    page.wait_for_function(LOADED_THUMBNAIL.replace("TESTID", "job-output"))  # the list shows the thumbnail

    seen = page.evaluate("() => ({ ...window.seen, statuses: [...seen.statuses], percents: [...seen.percents] })")
    assert "RUNNING" in seen["statuses"], seen
    assert 100 in seen["percents"] and any(0 < percent < 100 for percent in seen["percents"]), seen
    assert seen["preview"], "no live preview was shown"
    assert page.evaluate("() => window.pageMarker") == "set before submitting"  # never reloaded

    job = Job.objects.get(owner=alice)
    assert job.status == JobStatus.SUCCEEDED and job.parameters["width"] == 64
    # The output opens the owner's file.
    with page.expect_navigation():
        output.click()
    assert page.url.endswith(f"/media/{job.outputs.get().pk}/file")


def test_the_jobs_table_cancels_follows_a_worker_live_and_deletes(page, live_url, alice, tiny_model, worker_process):
    quick = {"prompt": "kept", "width": 64, "height": 64, "steps": 8, "seed": 1}
    kept = in_thread(job_create, owner=alice, parameters=quick)
    dropped = in_thread(job_create, owner=alice, parameters={**quick, "prompt": "dropped"})
    sign_in(page, live_url, "/jobs/")
    wait_for_socket(page)
    page.evaluate("() => { window.pageMarker = 'set on arrival'; }")

    kept_row, dropped_row = page.locator(f"#job-row-{kept.pk}"), page.locator(f"#job-row-{dropped.pk}")
    expect(kept_row.locator("[data-status]")).to_have_text("Queued")
    dropped_row.get_by_role("button", name="Cancel").click()
    expect(dropped_row.locator("[data-status]")).to_have_text("Cancelled")
    expect(dropped_row.get_by_role("button", name="Retry with the same seed")).to_be_visible()

    worker = worker_process("w1", **LIVE_WORKER_ENV)
    worker.wait_registered(timeout=60)
    expect(kept_row.locator("[data-status]")).to_have_text("Succeeded", timeout=90_000)
    expect(kept_row.locator(".job-progress")).to_have_attribute("data-percent", "100")
    expect(kept_row.get_by_test_id("job-output")).to_be_visible()
    expect(dropped_row.locator("[data-status]")).to_have_text("Cancelled")  # never ran

    page.once("dialog", lambda dialog: dialog.accept())
    dropped_row.get_by_role("button", name="Delete").click()
    expect(dropped_row).to_have_count(0)
    assert not Job.objects.filter(pk=dropped.pk).exists()
    assert page.evaluate("() => window.pageMarker") == "set on arrival"

    page.get_by_label("Status").select_option("SUCCEEDED")
    expect(page).to_have_url(f"{live_url}/jobs/?status=SUCCEEDED&kind=")
    expect(page.locator(".job-item")).to_have_count(1)


def test_the_create_form_follows_the_chosen_models_limits(page, live_url, alice, tiny_model):
    from apps.catalog.models import InstalledModel

    InstalledModel.objects.create(name="sdxl-real", kind="checkpoint", format="diffusers", path="sdxl-real")
    sign_in(page, live_url, "/create/")
    size_help, steps_help = page.locator("#id_size_helptext"), page.locator("#id_steps_helptext")
    expect(size_help).to_contain_text("Width and height from 32 to 512 pixels")  # the demo model, by default
    page.get_by_label("Model").select_option("sdxl-real")
    expect(size_help).to_contain_text("Width and height from 512 to 1536 pixels")
    expect(steps_help).to_contain_text("At most 100 steps with this model.")
    expect(page.get_by_label("Width")).to_have_attribute("max", "1536")
    page.get_by_label("Size").select_option("1024x1024")

    page.get_by_label("Model").select_option(DEMO)
    expect(size_help).to_contain_text("Width and height from 32 to 512 pixels")
    expect(steps_help).to_contain_text("At most 50 steps with this model.")
    # The presets are all above the demo model's limit: the form falls back to a custom size it accepts.
    expect(page.locator('#id_size option[value="1024x1024"]')).to_be_disabled()
    expect(page.get_by_label("Size")).to_have_value("custom")
    expect(page.get_by_label("Width")).to_have_attribute("max", "512")
    expect(page.get_by_label("Steps")).to_have_attribute("max", "50")
