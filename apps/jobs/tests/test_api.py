"""The jobs REST API as a script uses it: a JWT, the real Redis queue, the real worker on the tiny model."""

import html
import io
import os
import re
from dataclasses import fields
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from apps.accounts.services import access_token_create
from apps.catalog.request import ImageRequest
from apps.jobs.events import job_state
from apps.jobs.models import Job, JobKind, JobStatus
from apps.jobs.queueing import queued_job_ids
from tests.support.auth import log_in
from tests.support.workers import burst_worker_run

PASSWORD = "a-long-test-passphrase"
QUICK = {"prompt": "a red fox in the snow", "width": 64, "height": 64, "steps": 2, "seed": 7}
SUBMIT = "/api/generation/image"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=user.username, hours=1)}")
    return client


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def bob(user_factory):
    return user_factory("bob", PASSWORD)


def finished_job(owner, *, status: str = JobStatus.SUCCEEDED, kind: str = JobKind.IMAGE, **parameters) -> Job:
    """A job row as the worker leaves it, without running one."""
    now = timezone.now()
    return Job.objects.create(
        owner=owner, kind=kind, status=status, parameters={**QUICK, **parameters}, total_steps=QUICK["steps"],
        started=now, finished=now, progress=1.0 if status == JobStatus.SUCCEEDED else 0.0,
    )  # fmt: skip


# --- Submit, run, read ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_submitted_job_is_queued_then_runs_and_its_image_is_served_to_its_owner_only(tiny_model, alice, bob):
    client = client_for(alice)
    response = client.post(SUBMIT, {**QUICK, "model": tiny_model, "scheduler": "euler"}, format="json")
    assert response.status_code == 201, response.json()
    submitted = response.json()
    assert submitted["status"] == "QUEUED" and submitted["progress"] == 0 and submitted["outputs"] == []
    assert submitted["parameters"]["scheduler"] == "euler" and submitted["parameters"]["model"] == tiny_model
    assert queued_job_ids() == [submitted["id"]]

    burst_worker_run()

    job = client.get(f"/api/jobs/{submitted['id']}").json()
    assert job["status"] == "SUCCEEDED" and job["progress"] == 1 and job["step"] == job["total"] == 2
    assert job["finished"] is not None and job["error"] == ""
    [output] = job["outputs"]
    assert (output["width"], output["height"], output["seed"]) == (64, 64, 7)
    assert queued_job_ids() == []

    # The file is private: its owner's browser session gets the PNG, another user a 404.
    owner_browser = Client()
    assert log_in(owner_browser, "alice", PASSWORD)
    file = owner_browser.get(output["url"])
    assert file.status_code == 200 and file["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(file.streaming_content))).size == (64, 64)
    other_browser = Client()
    assert log_in(other_browser, "bob", PASSWORD)
    assert other_browser.get(output["url"]).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_random_seed_is_drawn_by_the_worker_and_shown_on_the_output(tiny_model, alice):
    client = client_for(alice)
    submitted = client.post(SUBMIT, {**QUICK, "seed": None, "batch_size": 2}, format="json").json()
    assert submitted["parameters"]["seed"] is None
    burst_worker_run()
    outputs = client.get(f"/api/jobs/{submitted['id']}").json()["outputs"]
    assert len(outputs) == 2 and all(isinstance(output["seed"], int) for output in outputs)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"width": 100}, "width", "multiple of 8"),
        ({"scheduler": "warp-drive"}, "scheduler", "euler_a"),
        ({"loras": [{"name": "no-such-lora", "weight": 0.8}]}, "loras", "no-such-lora"),
        ({"model": "no-such-model", "width": 512, "height": 512}, "model", "no-such-model"),
        ({"prompt": None}, "prompt", "required"),
        ({"steps": 0}, "steps", "between 1 and 50 on the demo model"),
    ],
)
@pytest.mark.django_db
def test_invalid_parameters_are_a_400_naming_the_field(tiny_model, alice, change, field, words):
    body = {key: value for key, value in {**QUICK, **change}.items() if value is not None}
    response = client_for(alice).post(SUBMIT, body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert list(error["errors"]) == [field]
    [message] = error["errors"][field]
    assert words in message
    assert error["message"] == f"{field}: {message}"
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_several_bad_fields_are_all_named_and_a_body_that_is_not_an_object_is_refused(tiny_model, alice):
    client = client_for(alice)
    error = client.post(SUBMIT, {**QUICK, "width": 65, "height": 3000, "guidance": "lots"}, format="json").json()
    assert set(error["errors"]) == {"width", "height", "guidance"}
    assert all(name in error["message"] for name in ("width", "height", "guidance"))

    response = client.post(SUBMIT, ["a red fox"], format="json")
    assert response.status_code == 400 and "JSON object" in response.json()["message"]
    # Form encoding cannot carry the list of LoRAs: JSON only, said plainly.
    response = client.post(SUBMIT, {"prompt": "a red fox"})
    assert response.status_code == 415 and "Unsupported media type" in response.json()["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_eleventh_waiting_job_is_refused_with_429(tiny_model, alice, bob, settings):
    assert settings.SEIDRA_MAX_QUEUED_PER_USER == 10
    client = client_for(alice)
    for _ in range(10):
        assert client.post(SUBMIT, QUICK, format="json").status_code == 201
    response = client.post(SUBMIT, QUICK, format="json")
    assert response.status_code == 429 and response["Retry-After"] == "30"
    assert "10 jobs waiting" in response.json()["message"]
    assert Job.objects.filter(owner=alice).count() == 10
    # The limit is per user.
    assert client_for(bob).post(SUBMIT, QUICK, format="json").status_code == 201


# --- List ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_is_paginated_newest_first(alice, bob):
    jobs = [finished_job(alice, seed=index) for index in range(25)]
    base = timezone.now()
    for index, job in enumerate(jobs):  # distinct times, so "newest first" is observable
        Job.objects.filter(pk=job.pk).update(created=base - timedelta(minutes=index))
    finished_job(bob)
    client = client_for(alice)

    first = client.get("/api/jobs").json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["previous"] is None
    assert [job["id"] for job in first["results"]] == [str(job.pk) for job in jobs[:20]]
    assert first["results"][0]["parameters"]["seed"] == 0
    second = client.get(first["next"]).json()
    assert [job["id"] for job in second["results"]] == [str(job.pk) for job in jobs[20:]]
    assert second["next"] is None and second["previous"] is not None

    small = client.get("/api/jobs", {"page_size": 10, "page": 3}).json()
    assert len(small["results"]) == 5 and small["next"] is None
    response = client.get("/api/jobs", {"page": 9})
    assert response.status_code == 404 and response.json()["message"]


@pytest.mark.django_db
def test_page_size_is_at_most_100(alice):
    Job.objects.bulk_create([Job(owner=alice, parameters=QUICK) for _ in range(105)])
    body = client_for(alice).get("/api/jobs", {"page_size": 500}).json()
    assert body["count"] == 105 and len(body["results"]) == 100


@pytest.mark.django_db
def test_the_list_filters_by_status_and_kind_and_names_an_unknown_filter(alice):
    succeeded = finished_job(alice)
    failed = finished_job(alice, status=JobStatus.FAILED)
    video = finished_job(alice, kind=JobKind.VIDEO)
    queued = Job.objects.create(owner=alice, parameters=QUICK)
    client = client_for(alice)

    def ids(**filters) -> set[str]:
        response = client.get("/api/jobs", filters)
        assert response.status_code == 200
        return {job["id"] for job in response.json()["results"]}

    assert ids(status="SUCCEEDED") == {str(succeeded.pk), str(video.pk)}
    assert ids(status="FAILED") == {str(failed.pk)}
    assert ids(status="QUEUED") == {str(queued.pk)}
    assert ids(kind="video") == {str(video.pk)}
    assert ids(kind="image", status="SUCCEEDED") == {str(succeeded.pk)}
    assert ids(status="RUNNING") == set()

    for name, value in (("status", "DONE"), ("kind", "audio")):
        response = client.get("/api/jobs", {name: value})
        assert response.status_code == 400
        assert response.json()["message"].startswith(f"{name}: ") and value in response.json()["message"]


# --- Cancel, retry, delete -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_queued_job_takes_it_off_the_queue(tiny_model, alice):
    client = client_for(alice)
    job_id = client.post(SUBMIT, QUICK, format="json").json()["id"]
    assert job_id in queued_job_ids()

    response = client.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    assert job_id not in queued_job_ids()
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "CANCELLED"

    again = client.post(f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "already finished" in again.json()["message"]


@pytest.mark.django_db(transaction=True)
def test_retry_queues_a_new_job_with_the_same_parameters(tiny_model, alice):
    client = client_for(alice)
    original = finished_job(alice, status=JobStatus.FAILED, model=tiny_model)

    response = client.post(f"/api/jobs/{original.pk}/retry")
    assert response.status_code == 201
    retried = response.json()
    assert retried["id"] != str(original.pk) and retried["status"] == "QUEUED"
    assert retried["parameters"] == original.parameters
    assert queued_job_ids() == [retried["id"]]
    assert client.get("/api/jobs").json()["count"] == 2

    # The new job is still waiting: it cannot be retried yet.
    response = client.post(f"/api/jobs/{retried['id']}/retry")
    assert response.status_code == 409 and "retry it once it has finished" in response.json()["message"]


@pytest.mark.django_db(transaction=True)
def test_retry_keeps_the_seed_the_job_ran_with_unless_a_new_one_is_asked(tiny_model, alice):
    from apps.gallery.models import Media

    client = client_for(alice)
    fixed = finished_job(alice, model=tiny_model, seed=7)
    drawn = finished_job(alice, model=tiny_model, seed=None, batch_size=2)
    for index, seed in ((1, 4243), (0, 4242)):  # a batch draws seed, seed + 1: the first image's is the job's
        Media.objects.create(
            owner=alice, job=drawn, index=index, file=f"outputs/{drawn.pk}-{index}.png", width=64, height=64,
            parameters={"seed": seed}, created=timezone.now(),
        )  # fmt: skip
    never_drawn = finished_job(alice, status=JobStatus.CANCELLED, model=tiny_model, seed=None)

    def retry(job, **body):
        return client.post(f"/api/jobs/{job.pk}/retry", body or None, format="json")

    # "same" is the default: with no body, and by name.
    assert retry(fixed).json()["parameters"]["seed"] == 7
    assert retry(drawn).json()["parameters"]["seed"] == 4242
    assert retry(drawn, seed="same").json()["seed"] == 4242
    assert retry(fixed, seed="new").json()["parameters"]["seed"] is None
    assert retry(drawn, seed="new").json()["parameters"]["seed"] is None

    refused = retry(never_drawn)
    assert refused.status_code == 409 and "retry it with a new seed" in refused.json()["message"]
    assert retry(never_drawn, seed="new").status_code == 201
    wrong = retry(fixed, seed="again")
    assert wrong.status_code == 400 and "seed" in wrong.json()["errors"]

    retry_body = schema()["paths"]["/api/jobs/{job_id}/retry"]["post"]
    assert "`same` (the default" in retry_body["description"]


@pytest.mark.django_db
def test_deleting_a_finished_job_removes_it_but_an_active_one_must_be_cancelled_first(alice):
    client = client_for(alice)
    done = finished_job(alice)
    response = client.delete(f"/api/jobs/{done.pk}")
    assert response.status_code == 204 and not response.content
    assert client.get(f"/api/jobs/{done.pk}").status_code == 404
    assert client.delete(f"/api/jobs/{done.pk}").status_code == 404

    active = Job.objects.create(owner=alice, parameters=QUICK, status=JobStatus.RUNNING)
    response = client.delete(f"/api/jobs/{active.pk}")
    assert response.status_code == 409 and "Cancel this job" in response.json()["message"]
    assert client.get(f"/api/jobs/{active.pk}").json()["status"] == "RUNNING"


# --- Ownership and authentication ----------------------------------------------------------------


@pytest.mark.django_db
def test_another_users_job_does_not_exist_for_you(alice, bob):
    finished = finished_job(alice)
    queued = Job.objects.create(owner=alice, parameters=QUICK)
    intruder = client_for(bob)

    for response in (
        intruder.get(f"/api/jobs/{finished.pk}"),
        intruder.post(f"/api/jobs/{queued.pk}/cancel"),
        intruder.post(f"/api/jobs/{finished.pk}/retry"),
        intruder.delete(f"/api/jobs/{finished.pk}"),
        intruder.get("/api/jobs/not-a-uuid"),
        intruder.post("/api/jobs/12345/cancel"),
    ):
        assert response.status_code == 404 and response.json()["message"] == "No such job."
    assert intruder.get("/api/jobs").json()["count"] == 0
    # Nothing happened to Alice's jobs.
    assert Job.objects.filter(owner=alice).count() == 2
    queued.refresh_from_db()
    assert queued.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_without_a_valid_token_every_jobs_endpoint_is_401(alice):
    job = finished_job(alice)
    anonymous = APIClient()
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    for client in (anonymous, forged):
        for method, url in (
            ("post", SUBMIT),
            ("get", "/api/jobs"),
            ("get", f"/api/jobs/{job.pk}"),
            ("post", f"/api/jobs/{job.pk}/cancel"),
            ("post", f"/api/jobs/{job.pk}/retry"),
            ("delete", f"/api/jobs/{job.pk}"),
        ):
            response = getattr(client, method)(url, format="json")
            assert response.status_code == 401, (method, url)
            assert response.json()["message"]
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_signed_in_browser_session_can_use_the_api(alice):
    job = finished_job(alice)
    browser = Client()
    assert log_in(browser, "alice", PASSWORD)
    body = browser.get("/api/jobs").json()
    assert [item["id"] for item in body["results"]] == [str(job.pk)]


# --- Schema and docs -----------------------------------------------------------------------------


def schema() -> dict:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_the_openapi_schema_is_public_and_documents_the_generation_request_and_the_job(tiny_model):
    document = schema()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {"/api/generation/image", "/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/cancel"} <= set(paths)
    assert set(paths["/api/jobs/{job_id}"]) >= {"get", "delete"}

    components = document["components"]["schemas"]
    submit = paths["/api/generation/image"]["post"]
    body_ref = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_fields = set(components[body_ref.rsplit("/", 1)[1]]["properties"])
    # Every field the server accepts is documented, and nothing else.
    # (`persona` is composed away before validation and recorded: apps/jobs/parameters.py.)
    assert request_fields == {item.name for item in fields(ImageRequest)}
    assert {"201", "400", "429"} <= set(submit["responses"])

    job_fields = set(components["Job"]["properties"])
    assert job_fields == set(job_state(Job(owner_id=1, parameters={}), with_outputs=False)) | {"outputs", "parameters"}
    assert components["JobStatusEnum"]["enum"] == JobStatus.values


def test_the_jobs_endpoints_generate_no_schema_warning(capsys):
    call_command("spectacular", "--validate", "--file", os.devnull)
    problems = capsys.readouterr().err
    assert [line for line in problems.splitlines() if "job" in line.lower()] == []


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_ui_from_our_own_static_files():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = [html.unescape(url) for url in re.findall(r'(?:src|href)="([^"]+)"', page)]
    assert any("swagger-ui-bundle" in url for url in assets)
    assert not re.search(r"https?://|//cdn", " ".join(assets)), assets
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    # Swagger UI's start-up script is a file of its own (no inline script: Content-Security-Policy).
    assert "<script>" not in page and "<style>" not in page
    init_script = next(url for url in assets if "script=" in url)
    assert init_script.startswith("/api/docs/?"), init_script
    assert "/api/schema/" in Client().get(init_script).content.decode()
    for url in assets:  # they are really there
        if url != init_script:
            assert url.startswith("/static/"), url
        assert Client().get(url).status_code == 200, url


# --- Queue positions -----------------------------------------------------------------------------


def register_live_worker(name: str) -> None:
    """What a starting `rqworker gpu` writes: its RQ registration on the queue and its liveness key."""
    from rq.worker import Worker

    from apps.jobs.queueing import gpu_queue, worker_alive_mark

    queue = gpu_queue()
    Worker([queue], name=name, connection=queue.connection).register_birth()
    worker_alive_mark(name=name, ttl=60)


def places(client) -> dict[str, tuple]:
    jobs = client.get("/api/jobs").json()["results"]
    return {
        job["parameters"]["prompt"]: (job["queue_position"], job["jobs_ahead"], job["live_workers"]) for job in jobs
    }


@pytest.mark.django_db(transaction=True)
def test_queued_jobs_show_their_place_in_the_fair_queue_without_revealing_other_users_jobs(
    tiny_model, alice, bob, user_factory
):
    as_alice, as_bob = client_for(alice), client_for(bob)
    for name in ("a1", "a2", "a3"):
        last = as_alice.post(SUBMIT, {**QUICK, "prompt": name}, format="json").json()
    assert (last["queue_position"], last["jobs_ahead"], last["live_workers"]) == (3, 2, 0)
    b1 = as_bob.post(SUBMIT, {**QUICK, "prompt": "b1"}, format="json").json()
    # Round-robin: bob's first job goes before alice's second one.
    assert (b1["queue_position"], b1["jobs_ahead"]) == (1, 1)
    assert len(queued_job_ids()) == 4

    # Positions count one's own jobs; jobs ahead count everyone's. No worker is alive yet.
    assert places(as_alice) == {"a1": (1, 0, 0), "a2": (2, 2, 0), "a3": (3, 3, 0)}
    assert places(as_bob) == {"b1": (1, 1, 0)}

    # A worker is up and busy with carol's job: it is ahead of every waiting one.
    register_live_worker("w1")
    carol = user_factory("carol", PASSWORD)
    Job.objects.create(owner=carol, status=JobStatus.RUNNING, parameters=QUICK, total_steps=2, worker_name="w1")
    assert places(as_alice) == {"a1": (1, 1, 1), "a2": (2, 3, 1), "a3": (3, 4, 1)}

    a1 = Job.objects.get(parameters__prompt="a1")
    cancelled = as_alice.post(f"/api/jobs/{a1.pk}/cancel").json()
    assert (cancelled["queue_position"], cancelled["jobs_ahead"], cancelled["live_workers"]) == (None, None, None)
    assert places(as_alice) == {"a1": (None, None, None), "a2": (1, 2, 1), "a3": (2, 3, 1)}
    a2 = Job.objects.get(parameters__prompt="a2")
    assert as_alice.get(f"/api/jobs/{a2.pk}").json()["jobs_ahead"] == 2
