"""Poison text in generation requests (issue 8 item 4) and the size of a job against the model and
the hardware (item 9), through the page form and the API as a person and a script use them."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.services import access_token_create
from apps.jobs.models import Job, JobStatus
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"
DEMO = "seidra-tiny-sdxl"
SUBMIT = "/api/generation/image"
QUICK = {"prompt": "a red fox in the snow", "width": 64, "height": 64, "steps": 2, "seed": 7}
FORM = {
    "prompt": "a red fox in the snow", "negative_prompt": "", "model": DEMO, "size": "custom", "width": "64",
    "height": "64", "steps": "12", "guidance": "6.5", "scheduler": "euler_a", "seed": "", "batch_size": "1",
}  # fmt: skip
SURROGATE_MESSAGE = "lone UTF-16 surrogate"
NUL_MESSAGE = "Must not contain NUL characters."


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_create(username=alice.username, hours=1)}")
    return client


@pytest.fixture
def browser(alice) -> Client:
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


def submit_raw(client: APIClient, body: str):
    """A JSON body as a script may send it: "\\ud800" is a valid JSON escape for a lone surrogate."""
    return client.generic("POST", SUBMIT, body.encode(), content_type="application/json")


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error shown for {field}"
    return re.sub(r"<[^>]+>", "", match.group(1))


# --- Item 4: text no database or page can hold ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("prompt", '"a\\ud800b"', SURROGATE_MESSAGE),
        ("prompt", '"a\\u0000b"', NUL_MESSAGE),
        ("negative_prompt", '"blurry\\udc00"', SURROGATE_MESSAGE),
        ("model", '"seidra-tiny-sdxl\\u0000"', NUL_MESSAGE),
        ("scheduler", '"euler\\ud800"', SURROGATE_MESSAGE),
    ],
)
def test_the_api_refuses_text_that_cannot_be_stored_naming_the_field(tiny_model, api, field, value, words):
    body = '{"prompt": "a fox", "width": 64, "height": 64, "steps": 2, "' + field + '": ' + value + "}"
    response = submit_raw(api, body)
    assert response.status_code == 400, response.content[:300]
    error = response.json()
    assert list(error["errors"]) == [field]
    assert words in error["errors"][field][0] and error["message"].startswith(f"{field}: ")
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_lora_name_with_a_surrogate_is_refused_naming_the_lora(tiny_model, api):
    response = submit_raw(api, '{"prompt": "a fox", "width": 64, "height": 64, "loras": [{"name": "x\\ud800"}]}')
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["loras.0.name"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_validator_refuses_bad_text_that_reaches_it_without_the_parser(tiny_model, alice):
    # The page form and services call the validator directly: it applies the same check.
    from apps.core.errors import ParameterError
    from apps.jobs.services import job_create

    for bad in ("a\ud800b", "a\x00b"):
        with pytest.raises(ParameterError) as refused:
            job_create(owner=alice, parameters={**QUICK, "model": DEMO, "negative_prompt": bad})
        assert list(refused.value.errors) == ["negative_prompt"]
        with pytest.raises(ParameterError) as refused:
            job_create(owner=alice, parameters={**QUICK, "loras": [{"name": bad}]})
        assert list(refused.value.errors) == ["loras"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_create_form_refuses_a_nul_next_to_the_field(tiny_model, browser):
    response = browser.post("/create/", {**FORM, "prompt": "a fox\x00"})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "prompt") == "Null characters are not allowed."
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_query_parameters_with_a_nul_are_refused_never_a_500(api, browser):
    """One check for every query string (apps/core/request_text.py): PostgreSQL cannot hold NUL."""
    response = api.get("/api/jobs", {"status": "SUCCEEDED\x00"})
    assert response.status_code == 400 and response.json()["message"].startswith("status: ")
    for url in ("/jobs/?status=%00&kind=%00&page=%00", "/notifications/?page=%00", "/create/?x=%00"):
        response = browser.get(url)
        assert response.status_code == 400, url
        assert "Must not contain NUL characters." in response.content.decode()


# Only SQLite ever stored such rows (older versions let them in); PostgreSQL refuses them at the
# INSERT, and manage.py move_to_postgres replaces them on the way (apps/core/tests/test_move_to_postgres.py).
sqlite_rows_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="a lone surrogate or NUL cannot be stored on PostgreSQL: such rows exist only in SQLite installs",
)


def stored_poison_job(owner) -> Job:
    """A job row as an older version stored it: a lone surrogate in the prompt (JSON escapes it on disk)."""
    now = timezone.now()
    return Job.objects.create(
        owner=owner, status=JobStatus.FAILED, error="failed", started=now, finished=now, total_steps=2,
        parameters={**QUICK, "prompt": "a\ud800b", "negative_prompt": "c\x00d", "model": DEMO, "loras": [],
                    "guidance": 7.0, "scheduler": "euler_a", "batch_size": 1},
    )  # fmt: skip


@sqlite_rows_only
@pytest.mark.django_db
def test_pages_show_a_stored_bad_row_with_replacement_characters_and_it_can_be_deleted(alice, browser):
    job = stored_poison_job(alice)
    for url in ("/jobs/", f"/jobs/{job.pk}/", "/create/", f"/jobs/{job.pk}/item?as=card"):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "a\ufffdb" in response.content.decode(), url
    response = browser.post(f"/jobs/{job.pk}/delete", {"next": "/jobs/"})
    assert response.status_code == 302
    assert not Job.objects.filter(pk=job.pk).exists()


@sqlite_rows_only
@pytest.mark.django_db
def test_the_api_lists_a_stored_bad_row_with_replacement_characters_and_deletes_it(alice, api):
    job = stored_poison_job(alice)
    listed = api.get("/api/jobs")
    assert listed.status_code == 200
    [item] = listed.json()["results"]
    assert item["parameters"]["prompt"] == "a\ufffdb" and item["parameters"]["negative_prompt"] == "c\ufffdd"
    assert api.get(f"/api/jobs/{job.pk}").json()["parameters"]["prompt"] == "a\ufffdb"
    assert api.delete(f"/api/jobs/{job.pk}").status_code == 204
    assert not Job.objects.exists()


# --- Item 9: job size against the model and the hardware -----------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_an_over_limit_job_on_the_demo_model_with_the_limit(tiny_model, api):
    body = {"prompt": "a fox", "model": DEMO, "width": 1536, "height": 1536, "batch_size": 4, "steps": 100}
    response = api.post(SUBMIT, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["width"] == errors["height"] == ["Must be between 32 and 512 on the demo model."]
    assert errors["steps"] == ["Must be between 1 and 50 on the demo model."]
    assert not Job.objects.exists()
    # Without a size, the demo model's own default, within its limits.
    response = api.post(SUBMIT, {"prompt": "a fox", "model": DEMO, "steps": 2}, format="json")
    assert response.status_code == 201
    assert (response.json()["parameters"]["width"], response.json()["parameters"]["height"]) == (256, 256)


@pytest.mark.django_db
def test_the_form_refuses_an_over_limit_job_on_the_demo_model_with_the_limit(tiny_model, browser):
    response = browser.post("/create/", {**FORM, "width": "1536", "height": "1536", "steps": "100", "batch_size": "4"})
    assert response.status_code == 400
    page = response.content.decode()
    assert field_error(page, "width") == "Must be between 32 and 512 on the demo model."
    assert field_error(page, "steps") == "Must be between 1 and 50 on the demo model."
    # A preset too large for the demo model is said at the size menu (width and height are hidden then).
    page = browser.post("/create/", {**FORM, "size": "1024x1024"}).content.decode()
    assert field_error(page, "size") == "Must be between 32 and 512 on the demo model."
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_create_form_states_the_chosen_models_limits(tiny_model, browser, settings):
    from apps.catalog.models import InstalledModel

    InstalledModel.objects.create(name="sdxl-real", kind="checkpoint", format="diffusers", path="sdxl-real")
    settings.SEIDRA_DEFAULT_MODEL = DEMO
    page = browser.get("/create/").content.decode()
    assert "Width and height from 32 to 512 pixels, multiples of 8." in page
    assert "At most 50 steps with this model." in page
    assert "A worker without a GPU takes at most 1,048,576 pixels per job" in page
    assert re.search(r'<input type="number" name="width" value="256" min="32" max="512"', page)
    # Each model option carries its own limits, for the page's script to show when it is chosen.
    option = re.search(r'<option value="sdxl-real"[^>]*>', page).group()
    assert 'data-max-side="1536"' in option and 'data-max-steps="100"' in option
    assert "from 512 to 1536 pixels" in option
    # A GPU declared by the operator: no word about CPU workers.
    settings.SEIDRA_DEVICE = "cuda"
    assert "without a GPU" not in browser.get("/create/").content.decode()


@pytest.mark.django_db
def test_with_cpu_workers_declared_a_job_over_the_cpu_limits_is_refused_naming_the_setting(tiny_model, api, settings):
    from apps.catalog.models import InstalledModel

    InstalledModel.objects.create(name="sdxl-real", kind="checkpoint", format="diffusers", path="sdxl-real")
    body = {"prompt": "a fox", "model": "sdxl-real", "width": 1024, "height": 1024, "batch_size": 2, "steps": 30}
    settings.SEIDRA_DEVICE = "auto"  # only the worker knows its device: accepted here, checked by the engine
    assert api.post(SUBMIT, body, format="json").status_code == 201
    settings.SEIDRA_DEVICE = "cpu"
    response = api.post(SUBMIT, body, format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["batch_size"][0]
    assert "2,097,152" in message or "2097152" in message
    assert "SEIDRA_CPU_MAX_PIXELS" in message
    settings.SEIDRA_CPU_MAX_STEPS = 20
    response = api.post(SUBMIT, {**body, "batch_size": 1}, format="json")
    expected = "At most 20 steps on this server's CPU workers (SEIDRA_CPU_MAX_STEPS)."
    assert response.json()["errors"] == {"steps": [expected]}


# --- Item 5 on the websocket: a deeply nested frame ----------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_deeply_nested_websocket_frame_is_ignored_and_the_socket_keeps_serving(user_factory):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from seidra.asgi import application

    user = await sync_to_async(user_factory)()
    token = await sync_to_async(access_token_create)(username=user.username, hours=1)
    # Host too: the origin check compares the Origin with the site the handshake addressed.
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    headers.append((b"authorization", f"Bearer {token}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/jobs/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "jobs.snapshot"

    await communicator.send_to(text_data="[" * 1000 + "]" * 1000)
    await communicator.send_to(text_data="not json at all")
    await communicator.send_json_to({"type": "jobs.snapshot"})
    # The consumer is still alive: the next request is answered.
    assert (await communicator.receive_json_from(timeout=5)) == {"type": "jobs.snapshot", "jobs": []}
    await communicator.disconnect()


@pytest.mark.django_db
def test_the_login_pages_refuse_a_nul_in_the_username_with_a_form_error(alice):
    client = Client()
    response = client.post("/accounts/login/", {"login": "alice\x00", "password": PASSWORD})
    assert response.status_code == 200 and "Null characters are not allowed." in response.content.decode()
    response = client.post("/admin/login/", {"username": "alice\x00", "password": PASSWORD})
    assert response.status_code == 200 and "Null characters are not allowed." in response.content.decode()
    assert log_in(client, "alice", PASSWORD)  # and no lockout was counted against the real name
