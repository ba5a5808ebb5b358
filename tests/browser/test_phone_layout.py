"""The pages on a phone (390 px wide) and on a desktop (1280 px): on a phone nothing is wider than
the screen, jobs are cards with every column readable, LoRA labels clear their sliders and the
sections are in a menu; on a desktop the table and the inline navigation stay."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.gallery.models import Media
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_create
from tests.browser.test_generation_page import PASSWORD, in_thread, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SECTIONS = ("Create", "Jobs", "Gallery", "Personas", "Models")
COLUMNS = ("Created", "Prompt", "Status", "Progress", "ETA", "Output", "Actions")
LONG_PROMPT = "a very long prompt about a lighthouse on a cliff at dusk, " * 4

TEXT_BOX = """(element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const box = range.getBoundingClientRect();
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}"""


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def screen(browser):
    """screen(viewport) -> a page of its own context, closed afterwards."""
    contexts = []

    def open_page(viewport: dict):
        context = browser.new_context(locale="en-US", viewport=viewport)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def three_jobs(alice, tiny_model) -> list[Job]:
    """A queued, a succeeded (with its image) and a cancelled job."""
    quick = {"prompt": LONG_PROMPT, "width": 64, "height": 64, "steps": 8, "seed": 1}
    jobs = [in_thread(job_create, owner=alice, parameters=quick) for _ in range(3)]
    Job.objects.filter(pk=jobs[1].pk).update(status=JobStatus.SUCCEEDED, progress=1.0, finished=timezone.now())
    Media.objects.create(
        owner=alice, job=jobs[1], index=0, file="outputs/missing.png", width=64, height=64,
        parameters={"seed": 1}, created=timezone.now(),
    )  # fmt: skip
    Job.objects.filter(pk=jobs[2].pk).update(status=JobStatus.CANCELLED, finished=timezone.now())
    return jobs


def apart(one: dict, other: dict) -> bool:
    return (
        one["x"] + one["width"] <= other["x"]
        or other["x"] + other["width"] <= one["x"]
        or one["y"] + one["height"] <= other["y"]
        or other["y"] + other["height"] <= one["y"]
    )


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def within_screen(locator, width: int) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_on_a_phone_each_job_is_a_card_with_every_column_readable(screen, live_url, three_jobs):
    page = screen(PHONE)
    sign_in(page, live_url, "/jobs/")
    assert page_width(page) <= PHONE["width"]
    for job in three_jobs:
        row = page.locator(f"#job-row-{job.pk}")
        for index, column in enumerate(COLUMNS):
            cell = row.locator("td").nth(index)
            expect(cell).to_be_visible()
            assert within_screen(cell, PHONE["width"]), f"{column} of a {job.status} job is cut"
        expect(row.locator("[data-status]")).to_be_visible()
        assert within_screen(row.locator("[data-status]"), PHONE["width"])
        for button in row.get_by_role("button").all():
            expect(button).to_be_visible()
            assert within_screen(button, PHONE["width"]), f"{button.text_content()} is cut"
    queued, succeeded, cancelled = (page.locator(f"#job-row-{job.pk}") for job in three_jobs)
    expect(queued.get_by_role("button", name="Cancel")).to_be_visible()
    expect(succeeded.get_by_role("button", name="Retry with the same seed")).to_be_visible()
    expect(cancelled.get_by_role("button", name="Delete")).to_be_visible()
    # Each cell says what it is: the table's header row is not there to say it.
    label = queued.locator('td[data-label="ETA"]').evaluate("(cell) => getComputedStyle(cell, '::before').content")
    assert label == '"ETA"', label
    # A card: the cells are lines, one under the other, not columns.
    prompt, status = (queued.locator(f'td[data-label="{name}"]').bounding_box() for name in ("Prompt", "Status"))
    assert status["y"] >= prompt["y"] + prompt["height"] and abs(status["x"] - prompt["x"]) < 2


def test_on_a_phone_the_create_form_fits_and_lora_names_clear_their_weight_sliders(screen, live_url, alice, tiny_model):
    page = screen(PHONE)
    sign_in(page, live_url, "/create/")
    assert page_width(page) <= PHONE["width"]
    rows = page.locator(".lora-row")
    assert rows.count() >= 1
    for index in range(rows.count()):
        row = rows.nth(index)
        # Where the LoRA's name is drawn (text may overflow its own box), against the weight's
        # "Weight" text and slider.
        name = row.locator("label.check").evaluate(TEXT_BOX)
        for part in (
            row.locator(".lora-weight label").evaluate(TEXT_BOX),
            row.locator('input[type="range"]').bounding_box(),
        ):
            assert apart(name, part), f"the LoRA name {name} overlaps its weight {part}"
        assert name["x"] + name["width"] <= PHONE["width"], f"the LoRA name {name} is cut"
        assert within_screen(row.locator('input[type="range"]'), PHONE["width"])
        assert within_screen(row.locator("output"), PHONE["width"])


def test_on_a_phone_every_section_is_reachable_through_the_menu(screen, live_url, alice, tiny_model):
    page = screen(PHONE)
    sign_in(page, live_url, "/jobs/")
    assert page_width(page) <= PHONE["width"]
    expect(page.locator(".mainnav")).to_be_hidden()
    menu_button = page.get_by_text("Menu", exact=True)
    for section in SECTIONS:
        menu_button.click()
        link = page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=section)
        expect(link).to_be_visible()
        assert within_screen(link, PHONE["width"]), f"{section} is cut"
        link.click()
        expect(page).to_have_url(f"{live_url}/{section.lower()}/")
        assert page_width(page) <= PHONE["width"], f"the {section} page is wider than the phone"
    # An outside click closes the menu, as the user menu.
    menu_button.click()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    page.locator("h1").click()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_hidden()


def test_on_a_desktop_the_jobs_table_and_the_inline_navigation_stay(screen, live_url, three_jobs):
    page = screen(DESKTOP)
    sign_in(page, live_url, "/jobs/")
    for header in COLUMNS:
        expect(page.get_by_role("columnheader", name=header)).to_be_visible()
    # One table row per job: its cells side by side on one line.
    row = page.locator(f"#job-row-{three_jobs[0].pk}")
    first, last = row.locator("td").first.bounding_box(), row.locator("td").last.bounding_box()
    assert last["x"] > first["x"] + first["width"] and abs(last["y"] - first["y"]) < 2
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    navigation = page.get_by_role("navigation", name="Main navigation")
    for section in SECTIONS:
        expect(navigation.get_by_role("link", name=section)).to_be_visible()
