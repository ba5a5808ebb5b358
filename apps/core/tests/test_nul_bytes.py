"""NUL (0x00) in text, on every way text comes in. PostgreSQL refuses NUL in text (psycopg raises
before the query, jsonb refuses \\u0000), so each must be a clear 400 or form error naming the field,
with nothing stored, on both databases; run with SEIDRA_TEST_DATABASE=postgres too."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from apps.accounts.models import User
from apps.gallery.models import Media
from apps.gallery.tests.factories import media_create
from apps.jobs.models import Job
from apps.moderation.models import ModerationAction
from apps.personas.models import Persona
from tests.support.auth import api_client_for, log_in
from tests.support.flagged_media import flagged_media_create

PASSWORD = "a-long-test-passphrase"
NUL_MESSAGE = "Must not contain NUL characters."
PAGE_HEADING = "<h1>Bad request</h1>"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def alice(user_factory):
    return user_factory("alice", PASSWORD)


@pytest.fixture
def alice_page(alice) -> Client:
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


@pytest.fixture
def staff_page(user_factory) -> Client:
    user_factory("staff", PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    assert log_in(client, "staff", PASSWORD)
    return client


def assert_api_refusal(response, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["errors"] == {field: [NUL_MESSAGE]}
    assert body["message"] == f"{field}: {NUL_MESSAGE}"


def assert_page_refusal(response, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    page = response.content.decode()
    assert PAGE_HEADING in page and f"{field}: {NUL_MESSAGE}" in page
    assert "Content-Security-Policy" in response.headers  # answered inside the security headers


# --- query parameters: API lists and their filters ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/jobs?status=%00", "status"),
        ("/api/jobs?page=1%00", "page"),
        ("/api/media?model=sdxl%00", "model"),  # reached the filter: a 500 on PostgreSQL
        ("/api/media?tag=sea%00", "tag"),
        ("/api/media?q=fox%00", "q"),
        ("/api/personas?page=%00", "page"),
    ],
)
def test_a_nul_in_an_api_query_parameter_is_a_400_naming_it(alice, url, field):
    media_create(alice, model="sdxl")
    assert_api_refusal(api_client_for(alice).get(url), field)


# --- query parameters: pages and the admin's lists -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [("/gallery/?model=sdxl%00", "model"), ("/jobs/?status=queued%00", "status"), ("/create/?remix=%00", "remix")],
)
def test_a_nul_in_a_page_query_parameter_is_a_400_page_naming_it(alice, alice_page, url, field):
    media_create(alice, model="sdxl")
    assert_page_refusal(alice_page.get(url), field)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/jobs/job/?status__exact=%00", "status__exact"),  # a list filter: a 500 on PostgreSQL
        ("/admin/accounts/user/?q=alice%00", "q"),  # the admin's search box
    ],
)
def test_a_nul_in_the_admin_search_or_filters_is_a_400_page(staff_page, url, field):
    assert_page_refusal(staff_page.get(url), field)


# --- headers and cookies -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("header", "name"), [("HTTP_USER_AGENT", "User-Agent"), ("HTTP_ACCEPT", "Accept")])
def test_a_nul_in_a_header_the_lockout_stores_is_refused_before_the_login(alice, header, name):
    """django-axes stores the User-Agent and Accept of a failed login: a 500 on PostgreSQL."""
    response = Client().post("/accounts/login/", {"login": "alice", "password": "wrong"}, **{header: "curl\x00"})
    assert_page_refusal(response, name)
    response = Client().post(
        "/api/auth/token/", {"username": "alice", "password": "wrong"}, content_type="application/json",
        **{header: "curl\x00"},
    )  # fmt: skip
    assert_api_refusal(response, name)
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_a_nul_in_the_session_cookie_is_a_400_not_a_lookup(alice):
    """A quoted cookie may spell NUL as \\000; the session store would look the id up: a 500 on PostgreSQL."""
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert_page_refusal(client.get("/gallery/"), "Cookie")
    assert_api_refusal(client.get("/api/jobs"), "Cookie")


# --- JSON bodies: strings anywhere in the structure (not only DRF CharFields) ---------------------


@pytest.mark.django_db
def test_a_nul_anywhere_in_a_json_body_is_a_400_naming_its_path(alice):
    client = api_client_for(alice)
    media = media_create(alice, tags=["sea"])
    cases = [
        ("post", "/api/generation/image", {"prompt": "a fox\x00"}, "prompt"),
        ("post", "/api/generation/image", {"prompt": "a fox", "loras": [{"name": "ink\x00", "weight": 1}]},
         "loras.0.name"),
        ("patch", f"/api/media/{media.pk}", {"tags": ["sun", "set\x00"]}, "tags"),
        ("post", "/api/personas", {"name": "Mira", "loras": [{"name": "x\x00"}]}, "loras.0.name"),
        ("put", "/api/me/preferences", {"nsfw_display": "blur\x00"}, "nsfw_display"),
    ]  # fmt: skip
    for method, url, body, field in cases:
        assert_api_refusal(getattr(client, method)(url, body, format="json"), field)
    assert not Job.objects.exists() and not Persona.objects.exists()
    media.refresh_from_db()
    assert media.tags == ["sea"]


@pytest.mark.django_db
def test_a_nul_in_a_json_key_is_a_400(alice):
    response = api_client_for(alice).post("/api/generation/image", {"prompt": "a fox", "x\x00": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "A field name is not valid text."
    assert not Job.objects.exists()


# --- forms: sign-in, sign-up, the pages' own forms, the moderation desk ---------------------------


@pytest.mark.django_db
def test_the_login_form_refuses_a_nul_as_a_form_error_and_records_no_attempt(alice):
    response = Client().post("/accounts/login/", {"login": "alice\x00", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert "Null characters are not allowed." in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert log_in(Client(), "alice", PASSWORD)  # and the account is not locked or changed


@pytest.mark.django_db
def test_the_signup_form_refuses_a_nul_and_creates_no_account(settings):
    settings.SEIDRA_ALLOW_SIGNUP = True
    data = {"username": "bob\x00", "email": "bob@example.com", "password1": PASSWORD, "password2": PASSWORD}
    response = Client().post("/accounts/signup/", data)
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not User.objects.filter(email="bob@example.com").exists()


@pytest.mark.django_db
def test_the_persona_form_and_the_tags_form_refuse_a_nul(alice, alice_page):
    response = alice_page.post("/personas/new/", {"name": "Mira\x00"})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert not Persona.objects.exists()

    media = media_create(alice, tags=["sea"])
    response = alice_page.post(f"/media/{media.pk}/tags", {"tags": "sun, set\x00"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps the lightbox with the reason
    assert "Each tag must be text." in response.content.decode()
    media.refresh_from_db()
    assert media.tags == ["sea"]


@pytest.mark.django_db
def test_the_moderation_reason_refuses_a_nul_and_hides_nothing(alice, staff_page):
    media = flagged_media_create(alice)
    response = staff_page.post(
        f"/admin/moderation/flaggedmedia/{media.pk}/moderate/", {"moderation_action": "hide", "reason": "nope\x00"},
        follow=True,
    )  # fmt: skip
    assert "Reason: Must not contain NUL characters." in response.content.decode()  # capitalised by the admin
    media.refresh_from_db()
    assert media.moderation_reason == "" and not ModerationAction.objects.exists()
    assert Media.objects.filter(pk=media.pk).exists()


@pytest.mark.django_db
def test_the_moderation_desk_bulk_reason_refuses_a_nul_and_hides_nothing(alice, staff_page):
    media = flagged_media_create(alice)
    data = {"action": "hide_selected", "_selected_action": [str(media.pk)], "reason": "nope\x00"}
    response = staff_page.post("/admin/moderation/flaggedmedia/", data, follow=True)
    assert response.status_code == 200
    media.refresh_from_db()
    assert media.moderation_reason == "" and not ModerationAction.objects.exists()


@pytest.mark.django_db
def test_a_workflow_template_holding_a_nul_is_a_form_error_and_not_saved(staff_page):
    """The staff form's JSON fields: PostgreSQL's jsonb refuses the \\u0000 escape."""
    import json

    from apps.catalog.models import WorkflowTemplate

    workflow = {"6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a\x00", "clip": ["4", 1]}}}
    data = {"name": "flow", "description": "", "enabled": "on", "workflow": json.dumps(workflow),
            "inputs": json.dumps({"prompt": {"node": "6", "input": "text"}})}  # fmt: skip
    response = staff_page.post("/admin/catalog/workflowtemplate/add/", data)
    assert response.status_code == 200
    assert f"6.inputs.text: {NUL_MESSAGE}" in response.content.decode()
    assert not WorkflowTemplate.objects.exists()


# --- the websocket handshake ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_handshake_with_a_nul_in_its_cookie_or_query_is_refused(user_factory):
    """The session lookup of the handshake would raise on PostgreSQL; it is refused (403) first."""
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from apps.accounts.services import access_token_create
    from seidra.asgi import application

    await sync_to_async(user_factory)("alice", PASSWORD)
    token = await sync_to_async(access_token_create)(username="alice", hours=1)
    site = [(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")]
    bearer = (b"authorization", f"Bearer {token}".encode())

    async def connects(path: str, *extra: tuple[bytes, bytes]) -> bool:
        communicator = WebsocketCommunicator(application, path, headers=[*site, bearer, *extra])
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    assert await connects("/ws/jobs/")
    assert not await connects("/ws/jobs/", (b"cookie", b'sessionid="abcdefgh\\000ijkl"'))
    assert not await connects("/ws/jobs/?list=row&status=%00")


# --- uploaded file names -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_uploaded_file_name_with_a_nul_is_stored_without_it(alice, settings):
    """Django's multipart parser drops non-printable characters from file names, so a name is never
    refused for it, and the stored name (a text column) holds no NUL."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from apps.catalog.models import InstalledModel

    settings.SEIDRA_DEFAULT_MODEL = "seidra-tiny-sdxl"  # a persona's defaults are checked against the catalog
    InstalledModel.objects.create(
        name="seidra-tiny-sdxl", kind="checkpoint", format="diffusers", path="x", is_demo=True
    )
    persona = Persona.objects.create(owner=alice, name="Mira")
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(png, "PNG")
    upload = SimpleUploadedFile("mira\x00face.png", png.getvalue(), content_type="image/png")
    response = api_client_for(alice).put(
        f"/api/personas/{persona.pk}/reference-image", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content[:300]
    persona.refresh_from_db()
    assert persona.reference_image.name and "\x00" not in persona.reference_image.name
