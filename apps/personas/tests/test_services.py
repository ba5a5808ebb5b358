"""Checking a persona: name, texts, defaults (by the one validator of job parameters), the
reference image (by content); duplicate and delete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.errors import ParameterError
from apps.gallery.models import Media
from apps.personas.models import Persona
from apps.personas.reference_image import MAX_PIXELS
from apps.personas.services import persona_create, persona_delete, persona_duplicate, persona_update

from .conftest import DEMO, LORAS, REAL, gallery_image, png_bytes


def errors_of(**kwargs) -> dict:
    with pytest.raises(ParameterError) as raised:
        persona_create(**kwargs)
    return raised.value.errors


def test_a_persona_keeps_its_checked_defaults(catalog, alice):
    mira = persona_create(
        owner=alice,
        data={"name": " Mira ", "prompt_template": "Mira, {prompt}", "model": REAL, "scheduler": "DPM++ 2M Karras",
              "loras": [{"name": LORAS[0], "weight": "0.5"}], "steps": "25", "width": 832, "seed": 9},
    )  # fmt: skip
    mira.refresh_from_db()
    assert (mira.name, mira.model, mira.scheduler, mira.steps, mira.width, mira.height, mira.seed) == (
        "Mira", REAL, "dpmpp_2m_karras", 25, 832, None, 9,
    )  # fmt: skip
    assert mira.loras == [{"name": LORAS[0], "weight": 0.5}]
    assert mira.guidance is None and mira.nsfw_allowed is False


def test_name_required_and_unique_per_owner(catalog, alice, bob):
    assert errors_of(owner=alice, data={"name": "  "}) == {"name": "This field is required."}
    persona_create(owner=alice, data={"name": "Mira"})
    assert errors_of(owner=alice, data={"name": "Mira"}) == {"name": "You already have a persona named 'Mira'."}
    persona_create(owner=bob, data={"name": "Mira"})  # another user may use the same name


def test_defaults_are_checked_by_the_job_validator_and_named_by_the_personas_fields(catalog, alice):
    errors = errors_of(
        owner=alice,
        data={"name": "Mira", "model": "nope", "loras": [{"name": "missing", "weight": 1}], "scheduler": "bogus"},
    )
    assert errors["model"] == "No model named 'nope' is installed."
    assert errors["loras"] == "No LoRA named 'missing' is installed."
    assert errors["scheduler"].startswith("Unknown scheduler")
    # The bounds are the model's: 60 steps is fine for SDXL, over the demo model's 50.
    assert errors_of(owner=alice, data={"name": "Mira", "model": DEMO, "steps": 60}) == {
        "steps": "Must be between 1 and 50 on the demo model."
    }
    assert errors_of(owner=alice, data={"name": "Mira", "model": REAL, "steps": 101}) == {
        "steps": "Must be between 1 and 100."
    }
    assert errors_of(owner=alice, data={"name": "Mira", "model": REAL, "width": 1004})["width"] == (
        "Must be a multiple of 8."
    )
    assert errors_of(owner=alice, data={"name": "Mira", "prompt_template": "x" * 2001}) == {
        "prompt_template": "At most 2000 characters."
    }
    assert "NUL" in errors_of(owner=alice, data={"name": "Mira", "negative_prompt": "bad\x00"})["negative_prompt"]
    assert errors_of(owner=alice, data={"name": "Mira", "nsfw_allowed": "yes"}) == {
        "nsfw_allowed": "Expected true or false."
    }
    assert not Persona.objects.exists()


def test_reference_image_is_checked_by_its_content(catalog, alice):
    not_an_image = SimpleUploadedFile("cat.png", b"this is text, not a PNG", content_type="image/png")
    errors = errors_of(owner=alice, data={"name": "Mira"}, reference_upload=not_an_image)
    assert errors == {"reference_image": "This file is not an image that can be read (JPEG, PNG or WebP)."}
    gif = SimpleUploadedFile("cat.gif", png_bytes(kind="GIF"), content_type="image/gif")
    assert errors_of(owner=alice, data={"name": "Mira"}, reference_upload=gif) == {
        "reference_image": "Use a JPEG, PNG or WebP image."
    }
    truncated = SimpleUploadedFile("cut.png", png_bytes(128, 128)[:-200])
    assert "can be read" in errors_of(owner=alice, data={"name": "Mira"}, reference_upload=truncated)["reference_image"]
    side = int(MAX_PIXELS**0.5) + 8  # a small file (one colour) that unpacks past the pixel cap
    huge = SimpleUploadedFile("huge.png", png_bytes(side, side))
    assert "more than" in errors_of(owner=alice, data={"name": "Mira"}, reference_upload=huge)["reference_image"]

    webp = SimpleUploadedFile("face.bin", png_bytes(kind="WEBP"))  # the name does not matter: the content does
    mira = persona_create(owner=alice, data={"name": "Mira"}, reference_upload=webp)
    assert mira.reference_image.name.endswith(".webp")
    assert mira.reference_image.read() == png_bytes(kind="WEBP")


def test_a_gallery_image_is_copied_and_another_users_is_refused(catalog, alice, bob):
    mine, theirs = gallery_image(alice), gallery_image(bob)
    assert errors_of(owner=alice, data={"name": "Mira", "reference_media_id": str(theirs.id)}) == {
        "reference_media_id": "No such image in your gallery."
    }
    mira = persona_create(owner=alice, data={"name": "Mira", "reference_media_id": str(mine.id)})
    assert mira.reference_media_id == mine.id
    assert mira.reference_image.read() == mine.file.open("rb").read()
    mine.file.storage.delete(mine.file.name)
    mine.delete()  # the persona keeps its own copy
    mira.refresh_from_db()
    assert mira.reference_image.storage.exists(mira.reference_image.name)


def test_update_partial_and_full(catalog, alice):
    mira = persona_create(owner=alice, data={"name": "Mira", "steps": 10, "negative_prompt": "blurry"})
    persona_update(persona=mira, data={"steps": 12})
    mira.refresh_from_db()
    assert (mira.steps, mira.negative_prompt) == (12, "blurry")
    persona_update(persona=mira, data={"name": "Mira"}, partial=False)
    mira.refresh_from_db()
    assert (mira.steps, mira.negative_prompt) == (None, "")
    with pytest.raises(ParameterError) as raised:
        persona_update(persona=mira, data={"steps": 0})
    assert raised.value.errors == {"steps": "Must be between 1 and 50 on the demo model."}


def test_duplicate_takes_a_free_name_and_its_own_image(catalog, alice):
    upload = SimpleUploadedFile("face.png", png_bytes())
    mira = persona_create(owner=alice, data={"name": "Mira", "steps": 7}, reference_upload=upload)
    first, second = persona_duplicate(persona=mira), persona_duplicate(persona=mira)
    assert (first.name, second.name) == ("Mira (copy)", "Mira (copy 2)")
    assert first.steps == 7 and first.reference_image.name != mira.reference_image.name
    persona_delete(persona=mira)
    assert first.reference_image.read() == png_bytes()


@pytest.mark.django_db(transaction=True)
def test_deleting_a_persona_keeps_its_images_and_their_persona_name(catalog, alice):
    upload = SimpleUploadedFile("face.png", png_bytes())
    mira = persona_create(owner=alice, data={"name": "Mira"}, reference_upload=upload)
    image = gallery_image(alice, persona={"id": str(mira.id), "name": "Mira"})
    reference, storage, persona_id = mira.reference_image.name, mira.reference_image.storage, mira.id
    persona_delete(persona=mira)
    image = Media.objects.get(pk=image.pk)
    assert (image.persona_name, image.persona_id) == ("Mira", persona_id)
    assert not storage.exists(reference)  # the reference file went with the persona
