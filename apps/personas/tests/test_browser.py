"""In Chromium: create a persona on its page, pick it on the Create page (its defaults fill the
form, its template is shown), generate, and the job's parameters show the composition."""

import pytest
from playwright.sync_api import expect

from apps.jobs.models import Job
from apps.personas.composition import NSFW_AVOIDING_NEGATIVE
from apps.personas.models import Persona
from tests.browser.test_generation_page import sign_in

from .conftest import DEMO, LORAS, PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def test_a_persona_made_on_its_page_fills_the_create_form_and_composes_the_job(page, live_url, alice, catalog):
    sign_in(page, live_url, "/personas/")
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_role("link", name="New persona").first.click()
    page.get_by_label("Name").fill("Mira")
    page.get_by_label("Prompt template").fill("portrait of Mira, {prompt}, film grain")
    page.get_by_label("Negative prompt").fill("blurry")
    page.get_by_label("Model").select_option(DEMO)
    page.get_by_label(LORAS[1]).check()
    page.locator(f'input[name="lora_weight:{LORAS[1]}"]').fill("0.4")
    page.get_by_label("Width").fill("64")
    page.get_by_label("Height").fill("96")
    page.get_by_label("Steps").fill("3")
    page.get_by_label("Seed").fill("1234")
    page.get_by_role("button", name="Create persona").click()
    expect(page).to_have_url(f"{live_url}/personas/")
    card = page.get_by_test_id("persona-Mira")
    expect(card).to_contain_text("portrait of Mira")
    mira = Persona.objects.get(owner=alice)

    # "Generate with this persona": the Create page with it chosen and its defaults in the fields.
    card.get_by_role("link", name="Generate with this persona").click()
    expect(page).to_have_url(f"{live_url}/create/?persona={mira.id}")
    expect(page.get_by_label("Persona", exact=True)).to_have_value(str(mira.id))
    expect(page.get_by_label("Steps")).to_have_value("3")
    expect(page.get_by_label("Seed")).to_have_value("1234")
    expect(page.locator("#persona-summary")).to_contain_text("portrait of Mira, {prompt}, film grain")

    # Picking it from the menu on a fresh form does the same; the user then changes a field.
    page.goto(f"{live_url}/create/")
    expect(page.get_by_label("Steps")).to_have_value("20")  # the demo model's default
    expect(page.locator("#persona-summary")).to_be_hidden()
    page.get_by_label("Persona", exact=True).select_option(label="Mira")
    expect(page.get_by_label("Steps")).to_have_value("3")
    expect(page.get_by_label("Seed")).to_have_value("1234")
    expect(page.get_by_label("Size")).to_have_value("custom")
    expect(page.get_by_label("Width")).to_have_value("64")
    expect(page.get_by_label("Height")).to_have_value("96")
    expect(page.get_by_label(LORAS[1])).to_be_checked()
    expect(page.locator("#persona-summary")).to_contain_text("blurry")
    page.get_by_label("Steps").fill("2")
    page.get_by_label("Prompt", exact=True).fill("in a greenhouse")
    page.get_by_label("Negative prompt").fill("text")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator(".form-success")).to_be_visible()

    job = Job.objects.get(owner=alice)
    assert job.parameters["prompt"] == "portrait of Mira, in a greenhouse, film grain"
    assert job.parameters["negative_prompt"] == f"blurry, text, {NSFW_AVOIDING_NEGATIVE}"
    assert (job.parameters["steps"], job.parameters["seed"], job.parameters["height"]) == (2, 1234, 96)
    assert job.parameters["loras"] == [{"name": LORAS[1], "weight": 0.4}]
    assert job.parameters["persona"] == {"id": str(mira.id), "name": "Mira"}
