import io

import pytest
from django.utils import translation
from PIL import Image

PASSWORD = "a-long-test-passphrase"
DEMO = "seidra-tiny-sdxl"
REAL = "sdxl-real"
LORAS = ("seidra-tiny-lora", "seidra-tiny-lora-b")


@pytest.fixture(autouse=True)
def _english():
    """A request made in French leaves French active in this thread; messages are asserted in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def catalog(db, settings):
    """The catalog's rows as `catalog_sync_from_disk` leaves them for the demo model and its LoRAs,
    plus a real SDXL checkpoint (the validator reads rows only: no model file is loaded here)."""
    from apps.catalog.models import InstalledLora, InstalledModel

    settings.SEIDRA_DEFAULT_MODEL = DEMO
    InstalledModel.objects.create(name=DEMO, kind="checkpoint", format="diffusers", path=DEMO, is_demo=True)
    InstalledModel.objects.create(name=REAL, kind="checkpoint", format="diffusers", path=REAL)
    for name in LORAS:
        InstalledLora.objects.create(name=name, path=f"loras/{name}.safetensors", default_weight=0.7, is_demo=True)


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def bob(user_factory):
    return user_factory("bob", PASSWORD)


def png_bytes(width: int = 64, height: int = 64, *, kind: str = "PNG", colour=(200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=kind)
    return buffer.getvalue()


def gallery_image(owner, **parameters):
    """One stored image of `owner`, as a finished job leaves it (the PNG with its parameters)."""
    from apps.gallery.services import media_store_image
    from apps.jobs.models import Job, JobStatus

    parameters = {"prompt": "a lighthouse at dusk", "model": DEMO, "width": 64, "height": 64, "steps": 3,
                  "guidance": 6.5, "scheduler": "euler", "seed": 42, "loras": [], **parameters}  # fmt: skip
    job = Job.objects.create(owner=owner, parameters=parameters, total_steps=3, status=JobStatus.SUCCEEDED)
    image = Image.new("RGB", (64, 64), (10, 120, 200))
    return media_store_image(job=job, index=0, image=image, parameters=parameters)
