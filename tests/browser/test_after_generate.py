"""What a person sees after pressing Generate: the answer in view below the sticky header, the
keyboard shortcut, the seed a job ran with (live, and kept by Retry), cancelled jobs without an
empty thumbnail, and one date rendering on every page."""

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_cancel, job_create
from tests.browser.test_generation_page import DEMO, LIVE_WORKER_ENV, PASSWORD, in_thread, sign_in, wait_for_socket

pytestmark = pytest.mark.browser
QUICK = {"prompt": "a lighthouse at dusk", "width": 64, "height": 64, "steps": 8}

# Whether an element is entirely on screen and not under the sticky header.
FULLY_VISIBLE = """(element) => {
  const box = element.getBoundingClientRect();
  const header = document.querySelector('.topbar').getBoundingClientRect();
  return box.height > 0 && box.top >= header.bottom && box.bottom <= window.innerHeight;
}"""


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def fill_small_job(page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Model").select_option(DEMO)
    page.get_by_label("Size").select_option("custom")
    page.get_by_label("Width").fill("64")
    page.get_by_label("Height").fill("64")
    page.get_by_label("Steps").fill("8")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, {"width": 390, "height": 844}])
def test_after_generate_the_confirmation_and_the_first_error_are_in_view_below_the_header(
    browser, live_url, alice, tiny_model, viewport
):
    page = browser.new_context(locale="en-US", viewport=viewport).new_page()
    sign_in(page, live_url, "/create/")
    fill_small_job(page, "a red fox in the snow")
    generate = page.get_by_role("button", name="Generate")
    generate.scroll_into_view_if_needed()  # the button is below the fold: the form's top is out of view
    generate.click()
    confirmation = page.get_by_role("status").filter(has_text="Job queued.")
    expect(confirmation).to_be_attached()
    page.wait_for_timeout(300)  # any scrolling the answer causes has run (smooth or not)
    assert confirmation.evaluate(FULLY_VISIBLE), "the confirmation is off screen or under the header"

    # An error the server finds on a field low in the form (the browser's own checks, which would
    # stop this one first, are turned off: the server also checks what a browser cannot know).
    page.evaluate("() => { document.getElementById('create-form').noValidate = true; }")
    page.get_by_label("Steps").fill("999")
    page.get_by_role("button", name="Generate").scroll_into_view_if_needed()
    page.get_by_role("button", name="Generate").click()
    error = page.locator("#create-form .has-error").first
    expect(error).to_have_attribute("data-field", "steps")
    expect(error).to_contain_text("Must be between")
    page.wait_for_timeout(300)
    assert error.evaluate(FULLY_VISIBLE), "the first error is off screen or under the header"
    expect(page.get_by_label("Steps")).to_be_focused()
    assert Job.objects.filter(owner=alice).count() == 1
    page.context.close()


def test_ctrl_enter_and_cmd_enter_submit_the_form(page, live_url, alice, tiny_model):
    sign_in(page, live_url, "/create/")
    fill_small_job(page, "first, with Ctrl+Enter")
    page.get_by_label("Prompt", exact=True).press("Control+Enter")
    expect(page.locator("#recent-jobs .job-card").first).to_contain_text("first, with Ctrl+Enter")

    page.get_by_label("Prompt", exact=True).fill("second, with Cmd+Enter")
    page.get_by_label("Steps").press("Meta+Enter")
    expect(page.locator("#recent-jobs .job-card").first).to_contain_text("second, with Cmd+Enter")
    prompts = sorted(job.parameters["prompt"] for job in Job.objects.filter(owner=alice))
    assert prompts == ["first, with Ctrl+Enter", "second, with Cmd+Enter"]


def test_a_drawn_seed_shows_live_and_retry_offers_the_same_or_a_new_seed(
    page, live_url, alice, tiny_model, worker_process
):
    job = in_thread(job_create, owner=alice, parameters={**QUICK, "seed": None})
    sign_in(page, live_url, f"/jobs/{job.pk}/")
    seed = page.get_by_test_id("job-seed")
    expect(seed).to_have_text("random")
    wait_for_socket(page)
    page.evaluate("() => { window.pageMarker = 'set before the run'; }")

    worker_process("w1", **LIVE_WORKER_ENV).wait_registered(timeout=60)
    expect(page.locator("[data-status]")).to_have_text("Succeeded", timeout=90_000)
    drawn = job.outputs.get().parameters["seed"]
    expect(seed).to_have_text(f"random · drawn: {drawn}")
    assert page.evaluate("() => window.pageMarker") == "set before the run"  # live, not reloaded

    # "Same" runs again with the drawn seed, now fixed; "new" draws another.
    page.get_by_role("button", name="Retry with the same seed").click()
    page.wait_for_url(lambda url: str(job.pk) not in url)
    again = Job.objects.get(retry_of=job)
    expect(page).to_have_url(f"{live_url}/jobs/{again.pk}/")
    assert again.parameters["seed"] == drawn
    expect(page.get_by_test_id("job-seed")).to_have_text(str(drawn))
    expect(page.locator("[data-status]")).to_have_text("Succeeded", timeout=90_000)
    assert again.outputs.get().parameters["seed"] == drawn

    page.get_by_role("button", name="Retry with a new seed").click()
    page.wait_for_url(lambda url: str(again.pk) not in url)
    fresh = Job.objects.get(retry_of=again)
    expect(page).to_have_url(f"{live_url}/jobs/{fresh.pk}/")
    assert fresh.parameters["seed"] is None
    expect(page.get_by_test_id("job-seed")).to_contain_text("random")


def test_a_cancelled_job_says_it_has_no_image_instead_of_an_empty_thumbnail(page, live_url, alice, tiny_model):
    clicked = in_thread(job_create, owner=alice, parameters={**QUICK, "prompt": "cancelled here", "seed": 3})
    live = in_thread(job_create, owner=alice, parameters={**QUICK, "prompt": "cancelled elsewhere", "seed": None})
    sign_in(page, live_url, "/create/")
    wait_for_socket(page)

    card = page.locator(f"#job-card-{clicked.pk}")
    card.get_by_role("button", name="Cancel").click()
    expect(card.locator("[data-status]")).to_have_text("Cancelled")
    expect(card.get_by_test_id("job-no-image")).to_have_text("Cancelled: no image")
    expect(card.get_by_test_id("job-no-image")).to_be_visible()
    expect(card.locator(".job-media img")).to_have_count(0)
    # Its seed was fixed: both retries are offered.
    expect(card.get_by_role("button", name="Retry with the same seed")).to_be_visible()

    in_thread(job_cancel, job=live)  # from another tab or the API: the card follows live
    live_card = page.locator(f"#job-card-{live.pk}")
    expect(live_card.get_by_test_id("job-no-image")).to_have_text("Cancelled: no image")
    expect(live_card.get_by_test_id("job-no-image")).to_be_visible()
    # A random seed that was never drawn cannot be reused: only a new seed is offered.
    expect(live_card.get_by_role("button", name="Retry with a new seed")).to_be_visible()
    expect(live_card.get_by_role("button", name="Retry with the same seed")).to_have_count(0)

    page.goto(f"{live_url}/jobs/")
    for job in (clicked, live):
        expect(page.locator(f"#job-row-{job.pk}").get_by_test_id("job-no-image")).to_be_visible()
    page.goto(f"{live_url}/jobs/{live.pk}/")
    expect(page.get_by_test_id("job-no-image")).to_have_text("Cancelled: no image")


def test_a_job_shows_the_same_date_in_the_list_the_card_and_its_page_in_the_users_language(
    page, live_url, alice, tiny_model
):
    job = in_thread(job_create, owner=alice, parameters={**QUICK, "seed": 1})
    Job.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED)
    created = timezone.localtime(job.created)
    pages = {"list": "/jobs/", "card": "/create/", "detail": f"/jobs/{job.pk}/"}

    sign_in(page, live_url, "/jobs/")
    for language in ("en", "fr"):
        if language == "fr":
            page.get_by_label("Language").select_option("fr")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
        with translation.override(language):
            expected = formats.date_format(created, "DATETIME_FORMAT")
        for where, path in pages.items():
            page.goto(f"{live_url}{path}")
            shown = page.locator(f'[data-job-id="{job.pk}"] time.job-date')
            expect(shown, f"{where} in {language}").to_have_text(expected)
