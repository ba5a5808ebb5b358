"""Reusing an image's parameters on the Create page: Remix from one of your images, and a PNG
dropped (or chosen) from SEIDRA, AUTOMATIC1111/Forge or ComfyUI. A real worker makes the images, so
"the same seed makes the same pixels" is checked on the real pipeline."""

import time

import pytest
from PIL import Image, PngImagePlugin
from playwright.sync_api import expect

from apps.gallery.models import Media
from apps.gallery.png_metadata import png_with_parameters
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_create
from tests.browser.test_generation_page import DEMO, PASSWORD, in_thread, sign_in

pytestmark = pytest.mark.browser
LORA = "seidra-tiny-lora"
JOB_SECONDS = 240  # a generous bound for a small CPU job on a loaded machine; the test ends as soon as it is done


@pytest.fixture
def alice(live_url, user_factory):
    return user_factory("alice", PASSWORD)


def wait_succeeded(job: Job) -> Job:
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_final:
            assert job.status == JobStatus.SUCCEEDED, job.error
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.status} after {JOB_SECONDS} s")


def pixels(media: Media) -> bytes:
    with media.file.open("rb") as handle, Image.open(handle) as image:
        return image.convert("RGB").tobytes()


def test_remix_fills_the_form_with_the_images_seed_and_makes_the_same_pixels(
    page, live_url, alice, tiny_model, worker_process
):
    worker_process("w1").wait_registered(timeout=60)
    first = in_thread(
        job_create,
        owner=alice,
        parameters={"prompt": "a red fox in the snow", "negative_prompt": "blurry", "model": DEMO,
                    "loras": [{"name": LORA, "weight": 0.6}], "width": 64, "height": 48, "steps": 6,
                    "guidance": 5.5, "scheduler": "ddim", "batch_size": 1},
    )  # fmt: skip
    wait_succeeded(first)
    # One image: a batch's images come out of batched arithmetic, which differs from a single image's
    # in the last bit, so only a single image is remade bit for bit.
    image = Media.objects.get(job=first)
    seed = image.parameters["seed"]  # drawn by the worker: the job asked for none

    sign_in(page, live_url, f"/create/?remix={image.pk}")
    expect(page.get_by_text("Filled from your image, its seed included")).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a red fox in the snow")
    expect(page.get_by_label("Negative prompt")).to_have_value("blurry")
    expect(page.get_by_label("Seed")).to_have_value(str(seed))
    expect(page.get_by_label("Width")).to_have_value("64")
    expect(page.get_by_label("Height")).to_have_value("48")
    expect(page.get_by_label("Steps")).to_have_value("6")
    expect(page.get_by_label("Scheduler")).to_have_value("ddim")
    expect(page.get_by_label("Images")).to_have_value("1")
    expect(page.locator(f'input[name="loras"][value="{LORA}"]')).to_be_checked()
    expect(page.locator(f'input[name="lora_weight:{LORA}"]')).to_have_value("0.6")

    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status").filter(has_text="Job queued.")).to_be_attached()
    remix = wait_succeeded(Job.objects.exclude(pk=first.pk).get(owner=alice))
    assert remix.parameters["seed"] == seed and remix.parameters["batch_size"] == 1
    assert pixels(Media.objects.get(job=remix)) == pixels(image)

    # Another user's image cannot be remixed: 404, nothing of it shown.
    page.goto(f"{live_url}/create/?remix=00000000-0000-0000-0000-000000000000")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_a_dropped_png_fills_the_form_and_names_what_it_could_not_read(page, live_url, alice, tiny_model, tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters",
        f"a cat on a sofa <lora:{LORA}:0.45> <lora:not-here:1>\nNegative prompt: lowres\n"
        "Steps: 9, Sampler: Euler a, CFG scale: 4.5, Seed: 777, Size: 96x64, Model: sd_xl_base_1.0.safetensors",
    )
    foreign = tmp_path / "from-a1111.png"
    Image.new("RGB", (96, 64), "olive").save(foreign, pnginfo=info)

    sign_in(page, live_url, "/create/")
    page.locator("#png-drop-file").set_input_files(str(foreign))
    status = page.locator(".png-drop-status")
    expect(status).to_contain_text("Filled from an AUTOMATIC1111 or Forge image.")
    expect(status).to_contain_text("Model: The model 'sd_xl_base_1.0' is not installed on this server.")
    expect(status).to_contain_text("LoRA styles: Not installed on this server: not-here.")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a cat on a sofa")
    expect(page.get_by_label("Negative prompt")).to_have_value("lowres")
    expect(page.get_by_label("Seed")).to_have_value("777")
    expect(page.get_by_label("Steps")).to_have_value("9")
    expect(page.get_by_label("Guidance")).to_have_value("4.5")
    expect(page.get_by_label("Scheduler")).to_have_value("euler_a")
    expect(page.get_by_label("Size")).to_have_value("custom")
    expect(page.get_by_label("Width")).to_have_value("96")
    expect(page.get_by_label("Height")).to_have_value("64")
    expect(page.locator(f'input[name="loras"][value="{LORA}"]')).to_be_checked()
    expect(page.locator(f'input[name="lora_weight:{LORA}"]')).to_have_value("0.45")

    # Dropped (not chosen) and not a PNG at all: the reason, and the form keeps what it had.
    page.locator(".png-drop").dispatch_event("drop", {"dataTransfer": _data_transfer(page, b"plain text", "a.png")})
    expect(status).to_contain_text("Not a PNG file.")
    expect(page.get_by_label("Seed")).to_have_value("777")
    # A SEIDRA PNG dropped on the box: its parameters, and nothing unread.
    seidra_png = png_with_parameters(
        Image.new("RGB", (32, 32)),
        {"prompt": "a seidra image", "negative_prompt": "", "model": DEMO, "width": 128, "height": 128, "steps": 5,
         "guidance": 3.0, "scheduler": "UniPC", "seed": 99, "loras": []},
    )  # fmt: skip
    page.locator(".png-drop").dispatch_event("drop", {"dataTransfer": _data_transfer(page, seidra_png, "s.png")})
    expect(status).to_have_text("Filled from a SEIDRA image.")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a seidra image")
    expect(page.get_by_label("Scheduler")).to_have_value("unipc")
    expect(page.locator(f'input[name="loras"][value="{LORA}"]')).not_to_be_checked()


def _data_transfer(page, data: bytes, name: str):
    """A DataTransfer holding one file, as a drag from the desktop brings."""
    return page.evaluate_handle(
        """([bytes, name]) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
          return transfer;
        }""",
        [list(data), name],
    )
