"""The persona pages through a signed-in browser session (Django's test client): list, create (from
a gallery image too), edit, duplicate, delete with a confirmation, the reference image; another
user's persona is a 404 on every one; the Create page offers the user's personas."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.jobs.models import Job
from apps.personas.models import Persona
from apps.personas.services import persona_create
from tests.support.auth import log_in

from .conftest import DEMO, LORAS, PASSWORD, gallery_image, png_bytes

FORM = {
    "name": "Mira",
    "prompt_template": "portrait of Mira, {prompt}",
    "negative_prompt": "blurry",
    "model": DEMO,
    "loras": [LORAS[1]],
    f"lora_weight:{LORAS[1]}": "0.4",
    "steps": "6",
    "seed": "",
}


def signed_in(username: str) -> Client:
    client = Client()
    assert log_in(client, username, PASSWORD)
    return client


@pytest.mark.django_db
def test_empty_list_points_to_a_new_persona(catalog, alice):
    page = signed_in("alice").get("/personas/")
    assert page.status_code == 200
    assert b'data-testid="empty-state"' in page.content and b'href="/personas/new/"' in page.content


@pytest.mark.django_db
def test_create_with_an_upload_then_list_edit_duplicate_delete(catalog, alice):
    client = signed_in("alice")
    upload = SimpleUploadedFile("face.png", png_bytes(), content_type="image/png")
    created = client.post("/personas/new/", {**FORM, "reference_image": upload})
    assert created.status_code == 302 and created["Location"] == "/personas/"
    mira = Persona.objects.get(owner=alice)
    assert (mira.steps, mira.seed, mira.loras) == (6, None, [{"name": LORAS[1], "weight": 0.4}])

    listing = client.get("/personas/").content.decode()
    assert "Mira" in listing and f"/personas/{mira.id}/reference" in listing
    assert f"/create/?persona={mira.id}" in listing  # "Generate with this persona"
    reference = client.get(f"/personas/{mira.id}/reference")
    assert reference.status_code == 200 and b"".join(reference.streaming_content) == png_bytes()

    edit = client.get(f"/personas/{mira.id}/edit/")
    assert edit.status_code == 200 and 'value="6"' in edit.content.decode()
    refused = client.post(f"/personas/{mira.id}/edit/", {**FORM, "steps": "80"})
    assert refused.status_code == 400 and "Must be between 1 and 50 on the demo model." in refused.content.decode()
    saved = client.post(f"/personas/{mira.id}/edit/", {**FORM, "steps": "8"})
    assert saved.status_code == 302
    mira.refresh_from_db()
    assert mira.steps == 8 and mira.reference_image  # no new upload: the image stays

    copied = client.post(f"/personas/{mira.id}/duplicate/")
    copy = Persona.objects.get(name="Mira (copy)")
    assert copied["Location"] == f"/personas/{copy.id}/edit/"

    confirm = client.get(f"/personas/{mira.id}/delete/")
    assert confirm.status_code == 200 and "keep its name" in confirm.content.decode()
    assert Persona.objects.filter(pk=mira.pk).exists()  # asking is not deleting
    assert client.post(f"/personas/{mira.id}/delete/").status_code == 302
    assert list(Persona.objects.values_list("name", flat=True)) == ["Mira (copy)"]


@pytest.mark.django_db
def test_form_errors_a_duplicate_name_and_a_non_image(catalog, alice):
    persona_create(owner=alice, data={"name": "Mira"})
    client = signed_in("alice")
    not_image = SimpleUploadedFile("face.png", b"GIF89a but not really", content_type="image/png")
    answer = client.post("/personas/new/", {**FORM, "reference_image": not_image})
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "You already have a persona named &#x27;Mira&#x27;." in text
    assert "This file is not an image that can be read (JPEG, PNG or WebP)." in text
    assert Persona.objects.count() == 1


@pytest.mark.django_db
def test_new_persona_from_a_gallery_image_is_prefilled_and_keeps_the_image(catalog, alice, bob):
    image = gallery_image(alice, loras=[{"name": LORAS[0], "weight": 0.8}], negative_prompt="text")
    client = signed_in("alice")
    page = client.get(f"/personas/new/?from_media={image.id}").content.decode()
    assert "a lighthouse at dusk</textarea>" in page and "text</textarea>" in page
    for value in ('value="42"', 'value="3"', 'value="6.5"', f'value="{image.id}"', 'value="0.8"'):
        assert value in page
    assert f'value="{LORAS[0]}" id="id_lora_0" checked' in page
    assert f"/media/{image.id}/file" in page
    assert client.get(f"/personas/new/?from_media={gallery_image(bob).id}").status_code == 404

    created = client.post("/personas/new/", {"name": "Lighthouse", "reference_media_id": str(image.id)})
    assert created.status_code == 302
    persona = Persona.objects.get(name="Lighthouse")
    assert persona.reference_media_id == image.id and persona.reference_image


@pytest.mark.django_db
def test_another_users_persona_is_a_404_on_every_page(catalog, alice, bob):
    mira = persona_create(owner=alice, data={"name": "Mira"}, reference_upload=SimpleUploadedFile("f.png", png_bytes()))
    client = signed_in("bob")
    assert "Mira" not in client.get("/personas/").content.decode()
    assert client.get(f"/personas/{mira.id}/edit/").status_code == 404
    assert client.post(f"/personas/{mira.id}/edit/", FORM).status_code == 404
    assert client.post(f"/personas/{mira.id}/duplicate/").status_code == 404
    assert client.get(f"/personas/{mira.id}/delete/").status_code == 404
    assert client.post(f"/personas/{mira.id}/delete/").status_code == 404
    assert client.get(f"/personas/{mira.id}/reference").status_code == 404
    create_page = client.get(f"/create/?persona={mira.id}").content.decode()
    assert "Mira" not in create_page
    mira.refresh_from_db()
    assert mira.name == "Mira" and Persona.objects.count() == 1


@pytest.mark.django_db
def test_the_create_page_offers_my_personas_and_composes_on_submit(catalog, alice, bob):
    mira = persona_create(owner=alice, data={"name": "Mira", "prompt_template": "Mira, {prompt}", "seed": 5})
    theirs = persona_create(owner=bob, data={"name": "Theirs"})
    client = signed_in("alice")
    page = client.get(f"/create/?persona={mira.id}").content.decode()
    assert f'<option value="{mira.id}" selected data-defaults=' in page and 'data-prefill="1"' in page
    assert "Theirs" not in page
    fields = {"prompt": "at sea", "model": DEMO, "size": "custom", "width": "64", "height": "64", "steps": "2",
              "guidance": "7", "scheduler": "euler_a", "seed": "", "batch_size": "1"}  # fmt: skip
    assert client.post("/create/", {**fields, "persona": str(mira.id)}).status_code == 302
    job = Job.objects.get()
    assert job.parameters["prompt"] == "Mira, at sea" and job.parameters["seed"] == 5
    assert job.parameters["persona"] == {"id": str(mira.id), "name": "Mira"}
    refused = client.post("/create/", {**fields, "persona": str(theirs.id)})
    assert refused.status_code == 400 and "No such persona among yours." in refused.content.decode()


@pytest.mark.django_db
def test_staff_can_look_personas_up_in_the_admin(catalog, alice, user_factory):
    persona_create(owner=alice, data={"name": "Mira"})
    user_factory("staff", PASSWORD, is_staff=True, is_superuser=True)
    page = signed_in("staff").get("/admin/personas/persona/")
    assert page.status_code == 200 and "Mira" in page.content.decode()
