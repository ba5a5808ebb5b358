"""Every response carries the Content-Security-Policy and the Permissions-Policy; no template needs an
inline script, handler or style that the policy would block."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "connect-src 'self' ws://testserver"
)


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",  # a page
        "/",  # a redirect to the login page
        "/no-such-page",  # the 404 page
        "/api/health",  # JSON
        "/api/docs/",  # Swagger UI
        "/api/docs/?script=",  # its start-up script
        "/static/js/seidra.js",  # a static file, served by WhiteNoise
    ],
)
def test_every_response_carries_the_policies(path):
    response = Client().get(path)
    assert response["Content-Security-Policy"] == EXPECTED_CSP, path
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions.split(", "), permissions


@pytest.mark.django_db
def test_no_inline_script_and_the_websocket_origin_follows_the_scheme_and_host():
    plain = policy(Client().get("/accounts/login/", HTTP_HOST="localhost:8000"))
    assert plain["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert plain["connect-src"] == "'self' ws://localhost:8000"
    assert plain["img-src"] == "'self' data:"  # job previews are data: URLs
    assert plain["frame-ancestors"] == "'none'"
    secure = policy(Client().get("/accounts/login/", HTTP_HOST="localhost:8000", secure=True))
    assert secure["connect-src"] == "'self' wss://localhost:8000"


@pytest.mark.django_db
def test_a_foreign_host_still_gets_a_policy():
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert policy(response)["connect-src"] == "'self'"


TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "htmx eval (hx-on, js: values)": re.compile(r"hx-on|hx-vals=['\"]js:|hx-vars", re.I),
}


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES_DIR.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES_DIR))
)
def test_templates_hold_nothing_the_policy_blocks(template):
    text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", template.read_text(), flags=re.S)
    found = [name for name, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{template}: {found} (move it to static/js or static/css)"


@pytest.mark.django_db
def test_debug_error_pages_stay_readable_and_other_debug_pages_keep_the_policy(settings):
    settings.DEBUG = True
    assert "Content-Security-Policy" not in Client().get("/no-such-page")  # Django's inline-styled 404
    assert "Content-Security-Policy" in Client().get("/accounts/login/")
    assert "Content-Security-Policy" in Client().get("/api/health")
