"""What a script sends is taken as written or refused naming the field: no typo is silently dropped
(`cfg_scale`, a LoRA's `wieght`), and an empty `model` or `kind` is not read as "the default"."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.services import access_token_create
from apps.jobs.models import Job

SUBMIT = "/api/generation/image"
QUICK = {"prompt": "a red fox in the snow", "width": 64, "height": 64, "steps": 2, "seed": 7}


@pytest.fixture
def alice_client(user_factory) -> APIClient:
    alice = user_factory("alice")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=alice.username, hours=1)}")
    return client


@pytest.mark.django_db
def test_an_unknown_field_is_refused_naming_it_and_the_known_ones(tiny_model, alice_client):
    response = alice_client.post(SUBMIT, {**QUICK, "model": tiny_model, "cfg_scale": 9}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert list(body["errors"]) == ["cfg_scale"]
    assert body["message"].startswith("cfg_scale: Unknown field. Known fields: ")
    assert "guidance" in body["message"] and "batch_size" in body["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_typo_inside_a_lora_entry_is_refused_naming_its_place(tiny_model, alice_client):
    body = {**QUICK, "model": tiny_model, "loras": [{"name": "any", "wieght": 0.5}]}
    response = alice_client.post(SUBMIT, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"loras[0].wieght": ["Unknown field. Known fields: name, weight."]}
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_documented_fields_are_all_accepted(tiny_model, alice_client):
    body = {
        **QUICK, "model": tiny_model, "negative_prompt": "blur", "loras": [], "guidance": 5.0,
        "scheduler": "euler", "batch_size": 1,
    }  # fmt: skip
    response = alice_client.post(SUBMIT, body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_an_empty_model_is_refused_while_an_omitted_or_null_one_is_the_default(tiny_model, alice_client):
    response = alice_client.post(SUBMIT, {**QUICK, "model": ""}, format="json")
    assert response.status_code == 400
    assert "leave the field out" in response.json()["errors"]["model"][0]
    assert not Job.objects.exists()

    for body in (QUICK, {**QUICK, "model": None}):
        response = alice_client.post(SUBMIT, body, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["parameters"]["model"] == tiny_model


@pytest.mark.django_db
def test_an_empty_kind_is_refused_on_submit(tiny_model, alice_client):
    # The endpoint is the kind (/api/generation/image): a `kind` in the body is not a field of it.
    response = alice_client.post(SUBMIT, {**QUICK, "kind": ""}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kind"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_body_on_an_endpoint_that_takes_none_is_refused(tiny_model, alice_client):
    job_id = alice_client.post(SUBMIT, QUICK, format="json").json()["id"]
    response = alice_client.post(f"/api/jobs/{job_id}/cancel", {"force": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"force": ["Unknown field: this endpoint takes no fields in its body."]}
    assert Job.objects.get(pk=job_id).status == "QUEUED"  # refused before anything was done
    # Without a body (or an empty one) it works as before.
    assert alice_client.post(f"/api/jobs/{job_id}/cancel", {}, format="json").status_code == 200
    assert Job.objects.get(pk=job_id).status == "CANCELLED"
