"""The Create page offers ComfyUI models and workflow templates beside the local ones, grouped by
engine and server, and says which engine each LoRA is for."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_generation_page import DEMO, PASSWORD, sign_in

pytestmark = pytest.mark.browser
SERVER = "http://gpu-box:8188"
REMOTE = "sdxl-remote.safetensors"


def test_create_page_offers_a_comfyui_model_and_a_template_by_engine(page, live_url, user_factory, tiny_model):
    from apps.catalog.models import Engine, InstalledLora, InstalledModel, LoraKeyFormat, Source, WorkflowTemplate

    user_factory("alice", PASSWORD)
    InstalledModel.objects.create(
        name=REMOTE, kind="checkpoint", format="single_file", path=REMOTE, engine=Engine.COMFYUI,
        source=Source.COMFYUI, servers=[SERVER],
    )  # fmt: skip
    InstalledLora.objects.create(
        name="peft-style.safetensors", path="peft-style.safetensors", engine=Engine.COMFYUI, source=Source.COMFYUI,
        servers=[SERVER], key_format=LoraKeyFormat.DIFFUSERS,
    )  # fmt: skip
    WorkflowTemplate.objects.create(
        name="portrait-flow",
        workflow={"6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}}},
        inputs={"prompt": {"node": "6", "input": "text"}},
    )

    sign_in(page, live_url, "/create/")

    model = page.get_by_label("Model")
    expect(model).to_have_value(DEMO)
    expect(model.locator(f"optgroup[label='Local'] option[value='{DEMO}']")).to_have_count(1)
    expect(model.locator(f"optgroup[label='ComfyUI ({SERVER})'] option")).to_have_text([REMOTE])
    expect(model.locator("optgroup[label='ComfyUI workflow templates'] option")).to_have_text(["portrait-flow"])

    # A ComfyUI model takes a real model's defaults, as a local one would.
    model.select_option(REMOTE)
    expect(page.get_by_label("Size")).to_have_value("1024x1024")
    expect(page.get_by_label("Steps")).to_have_value("30")

    # Only the LoRAs the chosen model's engine can use are offered.
    remote_lora = page.locator(".lora-row[data-engine='comfyui']")
    local_loras = page.locator(".lora-row[data-engine='local']")
    expect(remote_lora).to_be_visible()
    expect(remote_lora).to_contain_text("peft-style.safetensors")
    expect(remote_lora).to_contain_text("ComfyUI ignores this LoRA (diffusers/PEFT keys): convert it to kohya format")
    expect(local_loras.first).to_be_hidden()

    model.select_option("portrait-flow")  # a template takes no LoRA
    expect(remote_lora).to_be_hidden()
    expect(page.get_by_text("No LoRA for this model")).to_be_visible()

    model.select_option(DEMO)
    expect(local_loras.first).to_be_visible()
    expect(local_loras.first).to_contain_text("Local")
    expect(remote_lora).to_be_hidden()
