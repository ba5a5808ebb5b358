"""The personas API as a script uses it (a JWT), and `persona` on POST /api/generation/image."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.services import access_token_create
from apps.jobs.models import Job
from apps.personas.composition import NSFW_AVOIDING_NEGATIVE
from apps.personas.models import Persona
from tests.support.openapi import assert_matches_schema, served_schema

from .conftest import DEMO, LORAS, gallery_image

LIST = "/api/personas"
MIRA = {
    "name": "Mira",
    "description": "A botanist",
    "prompt_template": "portrait of Mira, {prompt}, film grain",
    "negative_prompt": "blurry",
    "model": DEMO,
    "loras": [{"name": LORAS[0], "weight": 0.6}],
    "seed": 1234,
    "width": 64,
    "height": 96,
    "steps": 4,
    "guidance": 5.5,
    "scheduler": "euler",
    "nsfw_allowed": False,
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=user.username, hours=1)}")
    return client


def detail(persona_id) -> str:
    return f"{LIST}/{persona_id}"


@pytest.mark.django_db
def test_create_read_update_delete_and_every_answer_matches_the_schema(catalog, alice):
    schema, client = served_schema(), client_for(alice)
    picked = gallery_image(alice)
    created = client.post(LIST, {**MIRA, "reference_media_id": str(picked.id)}, format="json")
    assert created.status_code == 201, created.json()
    assert_matches_schema(schema, "/api/personas", "post", created)
    body = created.json()
    assert {key: body[key] for key in MIRA} == MIRA
    assert body["reference_media_id"] == str(picked.id)
    assert body["reference_image"] == f"/personas/{body['id']}/reference"

    listed = client.get(LIST)
    assert_matches_schema(schema, "/api/personas", "get", listed)
    assert listed.json()["count"] == 1 and listed.json()["results"][0]["id"] == body["id"]
    read = client.get(detail(body["id"]))
    assert_matches_schema(schema, "/api/personas/{persona_id}", "get", read)

    patched = client.patch(detail(body["id"]), {"steps": 6, "loras": []}, format="json")
    assert patched.status_code == 200, patched.json()
    assert_matches_schema(schema, "/api/personas/{persona_id}", "patch", patched)
    assert (patched.json()["steps"], patched.json()["loras"], patched.json()["seed"]) == (6, [], 1234)

    replaced = client.put(detail(body["id"]), {"name": "Mira B", "prompt_template": "Mira"}, format="json")
    assert replaced.status_code == 200, replaced.json()
    assert_matches_schema(schema, "/api/personas/{persona_id}", "put", replaced)
    assert (replaced.json()["name"], replaced.json()["seed"], replaced.json()["model"]) == ("Mira B", None, "")
    assert replaced.json()["reference_image"]  # kept until another replaces it

    assert client.delete(detail(body["id"])).status_code == 204
    assert client.get(detail(body["id"])).status_code == 404


@pytest.mark.django_db
def test_another_users_persona_is_a_404_everywhere(catalog, alice, bob):
    mira = client_for(alice).post(LIST, MIRA, format="json").json()
    schema, thief = served_schema(), client_for(bob)
    for answer in (
        thief.get(detail(mira["id"])),
        thief.patch(detail(mira["id"]), {"name": "Stolen"}, format="json"),
        thief.put(detail(mira["id"]), {"name": "Stolen"}, format="json"),
        thief.delete(detail(mira["id"])),
        thief.get(detail("not-a-uuid")),
    ):
        assert answer.status_code == 404
        assert answer.json()["message"] == "No such persona."
    assert_matches_schema(schema, "/api/personas/{persona_id}", "get", thief.get(detail(mira["id"])))
    assert thief.get(LIST).json()["count"] == 0
    assert Persona.objects.get(pk=mira["id"]).name == "Mira"


@pytest.mark.django_db
def test_invalid_fields_are_a_400_naming_each(catalog, alice, bob):
    client = client_for(alice)
    client.post(LIST, MIRA, format="json")
    duplicate = client.post(LIST, {**MIRA, "steps": 500, "model": "nope"}, format="json")
    assert duplicate.status_code == 400
    errors = duplicate.json()["errors"]
    assert errors["name"] == ["You already have a persona named 'Mira'."]
    assert errors["model"] == ["No model named 'nope' is installed."]
    assert_matches_schema(served_schema(), "/api/personas", "post", duplicate)
    typo = client.post(LIST, {"name": "Other", "cfg_scale": 7}, format="json")
    assert typo.status_code == 400 and "cfg_scale" in typo.json()["errors"]
    theirs = gallery_image(bob)
    stolen = client.post(LIST, {"name": "Other", "reference_media_id": str(theirs.id)}, format="json")
    assert stolen.status_code == 400
    assert stolen.json()["errors"] == {"reference_media_id": ["No such image in your gallery."]}
    assert client.delete(detail(Persona.objects.get().id), {"name": "x"}, format="json").status_code == 400


@pytest.mark.django_db
def test_generation_with_a_persona_stores_the_composed_parameters(catalog, alice, bob):
    client = client_for(alice)
    mira = client.post(LIST, MIRA, format="json").json()
    submitted = client.post(
        "/api/generation/image",
        {"prompt": "in a greenhouse", "negative_prompt": "text", "persona": mira["id"], "steps": 2,
         "loras": [{"name": LORAS[0], "weight": 0.9}, {"name": LORAS[1], "weight": 0.4}]},
        format="json",
    )  # fmt: skip
    assert submitted.status_code == 201, submitted.json()
    assert_matches_schema(served_schema(), "/api/generation/image", "post", submitted)
    parameters = submitted.json()["parameters"]
    assert parameters["prompt"] == "portrait of Mira, in a greenhouse, film grain"
    assert parameters["negative_prompt"] == f"blurry, text, {NSFW_AVOIDING_NEGATIVE}"
    assert parameters["loras"] == [{"name": LORAS[0], "weight": 0.9}, {"name": LORAS[1], "weight": 0.4}]
    # The persona's defaults, the user's steps.
    assert (parameters["seed"], parameters["width"], parameters["height"], parameters["steps"]) == (1234, 64, 96, 2)
    assert (parameters["guidance"], parameters["scheduler"]) == (5.5, "euler")
    assert parameters["persona"] == {"id": mira["id"], "name": "Mira"}
    assert Job.objects.get(pk=submitted.json()["id"]).parameters == parameters

    for other in (client_for(bob).post(LIST, MIRA, format="json").json()["id"], "not-a-uuid"):
        refused = client.post("/api/generation/image", {"prompt": "x", "persona": other}, format="json")
        assert refused.status_code == 400
        assert refused.json()["errors"] == {"persona": ["No such persona among yours."]}
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_the_schema_documents_personas_and_the_generation_persona_field(catalog):
    schema = served_schema()
    assert set(schema["paths"]["/api/personas"]) >= {"get", "post"}
    assert set(schema["paths"]["/api/personas/{persona_id}"]) >= {"get", "put", "patch", "delete"}
    request = schema["paths"]["/api/generation/image"]["post"]["requestBody"]["content"]["application/json"]
    generation = schema["components"]["schemas"][request["schema"]["$ref"].rsplit("/", 1)[1]]
    assert generation["properties"]["persona"]["format"] == "uuid"
    fields = schema["components"]["schemas"]["Persona"]["properties"]
    assert set(MIRA) | {"id", "reference_image", "reference_media_id", "created", "updated"} <= set(fields)


@pytest.mark.django_db
def test_a_reference_image_upload_is_checked_and_owner_only(catalog, alice, bob):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import png_bytes

    client, schema = client_for(alice), served_schema()
    mira = client.post(LIST, MIRA, format="json").json()
    path = f"{detail(mira['id'])}/reference-image"
    refused = client.put(path, {"file": SimpleUploadedFile("a.png", b"not an image")}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"file": ["This file is not an image that can be read (JPEG, PNG or WebP)."]}
    assert_matches_schema(schema, "/api/personas/{persona_id}/reference-image", "put", refused)
    assert client.put(path, {}, format="multipart").json()["errors"] == {
        "file": ["Send the image in the multipart field `file`."]
    }
    thief = client_for(bob).put(path, {"file": SimpleUploadedFile("a.png", png_bytes())}, format="multipart")
    assert thief.status_code == 404
    stored = client.put(path, {"file": SimpleUploadedFile("a.png", png_bytes(kind="JPEG"))}, format="multipart")
    assert stored.status_code == 200, stored.json()
    assert_matches_schema(schema, "/api/personas/{persona_id}/reference-image", "put", stored)
    assert stored.json()["reference_image"] == f"/personas/{mira['id']}/reference"
    assert Persona.objects.get(pk=mira["id"]).reference_image.name.endswith(".jpg")
