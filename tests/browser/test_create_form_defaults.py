"""The create form's size and steps follow the chosen model's defaults, unless the user set them."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_generation_page import DEMO, PASSWORD, sign_in

pytestmark = pytest.mark.browser
REAL = "sdxl-real"


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def test_switching_the_model_moves_untouched_size_and_steps_to_its_defaults(page, live_url, alice, tiny_model):
    from apps.catalog.models import InstalledModel

    InstalledModel.objects.create(name=REAL, kind="checkpoint", format="diffusers", path=REAL)
    sign_in(page, live_url, "/create/")
    size, width, height, steps = (page.get_by_label(name) for name in ("Size", "Width", "Height", "Steps"))
    # The demo model is the default: a small image in few steps, which a CPU makes in seconds.
    expect(page.get_by_label("Model")).to_have_value(DEMO)
    expect(size).to_have_value("custom")
    expect(width).to_have_value("256")
    expect(height).to_have_value("256")
    expect(steps).to_have_value("20")

    page.get_by_label("Model").select_option(REAL)
    expect(size).to_have_value("1024x1024")
    expect(steps).to_have_value("30")
    page.get_by_label("Model").select_option(DEMO)
    expect(size).to_have_value("custom")
    expect(width).to_have_value("256")
    expect(steps).to_have_value("20")

    # What the user typed stays; what they left alone still follows the model.
    steps.fill("12")
    page.get_by_label("Model").select_option(REAL)
    expect(size).to_have_value("1024x1024")
    expect(steps).to_have_value("12")
    size.select_option("1152x896")
    page.get_by_label("Model").select_option(DEMO)  # 1152 is over the demo model's 512: clamped, still custom
    expect(size).to_have_value("custom")
    expect(steps).to_have_value("12")
