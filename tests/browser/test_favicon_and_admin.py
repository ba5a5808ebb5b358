"""Every page names the site's icon and no request of a page, the icon included, is a 404; the
add-LoRA form of the admin is laid out as a tidy form."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-passphrase"
PAGES = ["/", "/create/", "/jobs/", "/gallery/", "/models/", "/admin/", "/admin/jobs/job/"]


@pytest.fixture
def staff(live_url, user_factory):
    return user_factory("root", PASSWORD, is_staff=True, is_superuser=True)


def sign_in(page, live_url: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_url}/")


def test_pages_link_an_icon_that_is_served_and_request_nothing_missing(page, live_url, staff, tiny_model):
    missing: list[str] = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    sign_in(page, live_url)
    for path in PAGES:
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("load")
        icon = page.locator("link[rel=icon]")
        expect(icon).to_have_count(1)
        answer = page.request.get(icon.evaluate("link => link.href"))
        assert answer.status == 200 and answer.headers["content-type"] == "image/svg+xml", path
    # Tools and old browsers ask for /favicon.ico whatever the page says.
    legacy = page.request.get(f"{live_url}/favicon.ico")
    assert legacy.status == 200 and legacy.headers["content-type"] == "image/svg+xml"
    assert missing == []


def test_the_add_lora_form_lines_up_its_fields_with_readable_help(page, live_url, staff, tiny_model):
    sign_in(page, live_url)
    page.goto(f"{live_url}/admin/catalog/installedlora/add/")
    expect(page.get_by_role("heading", name="Add a LoRA")).to_be_visible()
    inputs = [page.locator(f"#id_{name}") for name in ("file_path", "repo_id", "filename", "name")]
    boxes = [field.bounding_box() for field in inputs]
    # One column of inputs, whatever the length of each label, each as wide as the others.
    assert len({round(box["x"]) for box in boxes}) == 1, boxes
    assert len({round(box["width"]) for box in boxes}) == 1 and boxes[0]["width"] >= 300, boxes
    for field, box in zip(inputs, boxes, strict=True):
        label = page.locator(f"label[for={field.get_attribute('id')}]").bounding_box()
        assert label["x"] + label["width"] <= box["x"] and abs(label["y"] - box["y"]) < box["height"]
        # Its help text sits under the input, starting where it starts.
        help_box = page.locator(f"#{field.get_attribute('id')}_helptext > div").bounding_box()
        assert help_box["y"] >= box["y"] + box["height"] and abs(help_box["x"] - box["x"]) <= 2
    choices = page.get_by_role("radio")
    expect(choices).to_have_count(2)
    assert abs(choices.first.bounding_box()["x"] - boxes[0]["x"]) <= 2  # the choice lines up with the inputs
