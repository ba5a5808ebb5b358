"""The home page as a person sees it: their recent jobs (live) and images, the engines' state and
what to do next; a new user's getting-started guidance."""

import re

import pytest
from playwright.sync_api import expect

from apps.jobs.models import Job
from apps.jobs.services import job_create
from tests.browser.test_generation_page import LOADED_THUMBNAIL, PASSWORD, in_thread, sign_in, wait_for_socket

pytestmark = pytest.mark.browser
STALE_TEXTS = ("not available on this server yet", "No jobs yet")


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def test_a_user_with_jobs_sees_them_live_with_their_images_and_the_worker_online(
    page, live_url, alice, tiny_model, worker_process
):
    quick = {"width": 64, "height": 64, "steps": 4, "seed": 3}
    in_thread(job_create, owner=alice, parameters={**quick, "prompt": "an older job"})
    job = in_thread(job_create, owner=alice, parameters={**quick, "prompt": "a lighthouse at dusk"})
    sign_in(page, live_url, "/")
    wait_for_socket(page)
    for text in STALE_TEXTS:
        expect(page.get_by_text(text)).not_to_be_visible()
    expect(page.get_by_test_id("getting-started")).to_have_count(0)
    expect(page.get_by_role("link", name="See all jobs")).to_have_attribute("href", "/jobs/")
    card = page.locator(f"#job-card-{job.pk}")
    expect(page.locator("#recent-jobs .job-card").first).to_contain_text("a lighthouse at dusk")  # newest first
    expect(card.locator("[data-status]")).to_have_text("Queued")
    engines = page.get_by_test_id("engines")
    expect(engines).to_contain_text("No worker is running")
    expect(engines).to_contain_text("python manage.py rqworker gpu")
    expect(engines).to_contain_text("Default model: seidra-tiny-sdxl")

    worker = worker_process("w1")
    worker.wait_registered(timeout=60)
    # Live, without a reload: the page's websocket moves the card to its end and shows its image.
    expect(card.locator("[data-status]")).to_have_text("Succeeded", timeout=90_000)
    expect(card.get_by_test_id("job-output")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("engines")).to_contain_text("1 worker online")
    # With the device its engine runs on (the CPU here, a GPU where the tests have one).
    expect(page.get_by_test_id("worker")).to_have_text(re.compile(r"^\s*w1\s+(cpu|cuda|mps)\b.*\bidle\s*$"))
    outputs = page.get_by_test_id("recent-output")
    expect(outputs).to_have_count(2)  # both jobs ran
    page.wait_for_function(LOADED_THUMBNAIL.replace("TESTID", "recent-output"))
    outputs.first.click()
    expect(page).to_have_url(f"{live_url}/jobs/{job.pk}/")
    assert Job.objects.filter(owner=alice).count() == 2


def test_a_new_user_is_guided_to_a_first_image_and_told_what_the_server_lacks(page, live_url, alice):
    sign_in(page, live_url, "/")
    expect(page.get_by_text("not available on this server yet")).to_have_count(0)
    guide = page.get_by_test_id("getting-started")
    expect(guide).to_contain_text("Describe the image you want in a prompt")
    engines = page.get_by_test_id("engines")
    expect(engines).to_contain_text("No worker is running: jobs wait in the queue until one starts.")
    expect(engines).to_contain_text("No model is installed, so nothing can be generated yet.")
    expect(engines).to_contain_text("make models")
    expect(page.get_by_text("No images yet")).to_be_visible()
    guide.get_by_role("link", name="Create your first image").click()
    expect(page).to_have_url(f"{live_url}/create/")
