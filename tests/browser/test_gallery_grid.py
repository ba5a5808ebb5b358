"""The gallery in Chromium: the grid loads its next page on scroll, the lightbox follows the arrow keys
and closes with Esc, shift-click selects a range for a bulk action, flagged media stay blurred until
clicked. Media rows with real small PNG files; no worker needed."""

import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.gallery.models import Media
from apps.gallery.tests.factories import media_create
from tests.browser.test_content_security_policy import REPORT_VIOLATIONS
from tests.browser.test_generation_page import PASSWORD, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def problems(page) -> list[str]:
    """Policy violations (CSP: no inline script or style) and uncaught script errors on the page."""
    found: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda message: message.type == "error" and "CSP" in message.text and found.append(message.text))
    page.on("pageerror", lambda error: found.append(f"uncaught {error}"))
    return found


def test_scrolling_to_the_end_of_the_grid_loads_the_next_page(page, live_url, alice):
    page_size = settings.SEIDRA_GALLERY_PAGE_SIZE  # the server's own setting: it runs in another process
    for number in range(page_size + 5):
        media_create(alice, minutes_ago=number, prompt=f"image {number}")
    sign_in(page, live_url, "/gallery/")
    grid_cells = page.get_by_test_id("gallery-cell")
    expect(grid_cells).to_have_count(page_size)
    expect(page.get_by_test_id("gallery-summary")).to_contain_text(f"{page_size + 5} items")
    page.get_by_test_id("gallery-more").scroll_into_view_if_needed()
    expect(grid_cells).to_have_count(page_size + 5)
    expect(grid_cells.last.locator("img")).to_have_attribute("alt", f"image {page_size + 4}")  # the oldest, last
    expect(page.get_by_test_id("gallery-more")).to_have_count(0)


def test_the_lightbox_follows_the_arrow_keys_in_the_filtered_order_and_closes_with_escape(
    page, live_url, alice, problems
):
    oldest = media_create(alice, minutes_ago=3, prompt="castle, oldest")
    media_create(alice, minutes_ago=2, prompt="a boat, filtered out")
    middle = media_create(alice, minutes_ago=1, prompt="castle, middle")
    newest = media_create(alice, minutes_ago=0, prompt="castle, newest")
    sign_in(page, live_url, "/gallery/?q=castle")
    expect(page.get_by_test_id("gallery-cell")).to_have_count(3)

    page.get_by_test_id("gallery-cell").first.locator("a").click()
    lightbox = page.get_by_test_id("lightbox-dialog")
    expect(lightbox).to_be_visible()
    parameters = page.get_by_test_id("lightbox-parameters")
    expect(parameters).to_contain_text("castle, newest")
    expect(parameters).to_contain_text("Euler a")
    expect(page).to_have_url(re.compile(rf"\?q=castle&item={newest.id}$"))  # bookmarkable

    page.keyboard.press("ArrowRight")
    expect(parameters).to_contain_text("castle, middle")
    page.keyboard.press("ArrowRight")
    expect(parameters).to_contain_text("castle, oldest")  # the boat is skipped: it does not match the filter
    expect(page).to_have_url(re.compile(rf"item={oldest.id}$"))
    page.keyboard.press("ArrowRight")  # nothing after the last
    expect(parameters).to_contain_text("castle, oldest")
    page.keyboard.press("ArrowLeft")
    expect(parameters).to_contain_text("castle, middle")
    expect(page).to_have_url(re.compile(rf"item={middle.id}$"))

    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(page).to_have_url(f"{live_url}/gallery/?q=castle")

    # The bookmarked address opens the same view.
    page.goto(f"{live_url}/gallery/?q=castle&item={middle.id}")
    expect(lightbox).to_be_visible()
    expect(parameters).to_contain_text("castle, middle")
    assert problems == []


def test_shift_click_selects_a_range_for_a_bulk_favourite_and_the_zip(page, live_url, alice):
    media = [media_create(alice, minutes_ago=number, prompt=f"image {number}") for number in range(6)]
    sign_in(page, live_url, "/gallery/")
    boxes = page.get_by_label("Select", exact=True)
    expect(boxes).to_have_count(6)
    boxes.nth(1).click()
    boxes.nth(4).click(modifiers=["Shift"])
    bar = page.get_by_test_id("selection-bar")
    expect(bar).to_contain_text("4 selected")
    checked = [index for index, box in enumerate(boxes.all()) if box.is_checked()]
    assert checked == [1, 2, 3, 4]

    with page.expect_download() as download_info:
        bar.get_by_role("button", name="Download as ZIP").click()
    archive = zipfile.ZipFile(download_info.value.path())
    assert len(archive.namelist()) == 4

    bar.get_by_role("button", name="Add to favourites").click()
    expect(page.get_by_test_id("gallery-message")).to_have_text("4 items added to favourites.")
    expect(page.get_by_test_id("favourite-mark")).to_have_count(4)
    assert set(Media.objects.filter(favourite=True)) == set(media[1:5])
    expect(bar).to_be_hidden()  # the cells came back unselected: nothing is selected any more


def test_a_flagged_thumbnail_is_blurred_until_clicked(page, live_url, alice, problems):
    assert alice.nsfw_display == "blur"  # the default preference
    flagged = media_create(alice, prompt="flagged", flagged=True, nsfw_score=0.97)
    media_create(alice, minutes_ago=1, prompt="plain")
    sign_in(page, live_url, "/gallery/")
    cell = page.locator(f"#media-cell-{flagged.id}")
    image = cell.locator("img")
    expect(cell).to_have_class(re.compile(r"\bnsfw-blur\b"))
    assert "blur" in image.evaluate("element => getComputedStyle(element).filter")
    expect(cell).to_contain_text("Flagged: click to show")
    plain = page.get_by_test_id("gallery-cell").nth(1)
    assert plain.locator("img").evaluate("element => getComputedStyle(element).filter") == "none"

    cell.locator("a").click()  # the first click reveals, and opens nothing
    expect(cell).not_to_have_class(re.compile(r"\bnsfw-blur\b"))
    # The blur fades out (a CSS transition): waited for, not sampled.
    page.wait_for_function("image => getComputedStyle(image).filter === 'none'", arg=image.element_handle())
    lightbox = page.get_by_test_id("lightbox-dialog")
    expect(lightbox).to_be_hidden()

    cell.locator("a").click()  # the lightbox blurs it again until clicked there too
    figure = page.get_by_test_id("lightbox-figure")
    expect(figure).to_have_class(re.compile(r"\bnsfw-blur\b"))
    page.get_by_test_id("lightbox-image").click()
    expect(figure).not_to_have_class(re.compile(r"\bnsfw-blur\b"))
    expect(lightbox).to_be_visible()
    assert problems == []


def test_from_the_lightbox_the_parameters_are_copied_and_the_item_deleted_after_confirmation(page, live_url, alice):
    kept = media_create(alice, minutes_ago=1, prompt="kept")
    doomed = media_create(alice, prompt="doomed")
    path = Path(doomed.file.path)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_url, "/gallery/")
    page.locator(f"#media-cell-{doomed.id} a").click()
    lightbox = page.get_by_test_id("lightbox-dialog")
    expect(lightbox).to_contain_text("doomed")

    page.get_by_test_id("copy-parameters").click()
    expect(page.get_by_test_id("copy-parameters")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("doomed <lora:watercolor:0.8>\nNegative prompt: blurry\nSteps: 12, Sampler: Euler a")

    page.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel": nothing happens
    lightbox.get_by_role("button", name="Delete").click()
    expect(lightbox).to_be_visible()
    assert path.exists()
    page.once("dialog", lambda dialog: dialog.accept())
    lightbox.get_by_role("button", name="Delete").click()
    expect(lightbox).to_be_hidden()
    expect(page.get_by_test_id("gallery-message")).to_have_text("Deleted. Its job stays in the jobs table.")
    expect(page.get_by_test_id("gallery-cell")).to_have_count(1)
    expect(page.locator(f"#media-cell-{kept.id}")).to_be_visible()
    assert not Media.objects.filter(pk=doomed.pk).exists() and not path.exists()
