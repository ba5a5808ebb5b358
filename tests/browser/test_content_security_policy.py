"""The pages under the Content-Security-Policy in a real browser: nothing is blocked (Chromium reports
each blocked script, style, connection or image), and what depends on scripts still works: htmx
forms and clicks, the live websocket table, the auto-submitting selects, Swagger UI."""

import threading

import pytest
from playwright.sync_api import expect

from apps.jobs.services import job_cancel, job_create

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-passphrase"
DEMO = "seidra-tiny-sdxl"
QUICK = {"prompt": "a quiet harbour", "model": DEMO, "width": 64, "height": 64, "steps": 4, "seed": 1}

# Every violation, also one Chromium might word differently in its console, is logged as an error.
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', (event) => {
  console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
});"""


def in_thread(function, **kwargs):
    """ORM writes that send channel events use async_to_sync: not from Playwright's loop thread."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", function(**kwargs)))
    thread.start()
    thread.join()
    return result["value"]


@pytest.fixture
def problems(page) -> list[str]:
    """Console errors about a policy (CSP or Permissions-Policy) and uncaught script errors."""
    found: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and any(word in message.text for word in ("Content Security Policy", "CSP violation", "Permissions-Policy"))
            and found.append(f"{page.url}: {message.text}")
        ),
    )
    page.on("pageerror", lambda error: found.append(f"{page.url}: uncaught {error}"))
    return found


def wait_for_socket(page) -> None:
    """Until the page's htmx websocket is open (htmx, its ws extension and connect-src all work)."""
    page.evaluate("""() => new Promise((resolve) => {
      const element = document.querySelector('[ws-connect]');
      const socket = () => element['htmx-internal-data'] && element['htmx-internal-data'].webSocket;
      const open = () => socket() && socket().socket && socket().socket.readyState === WebSocket.OPEN;
      const check = () => (open() ? resolve() : setTimeout(check, 50));
      check();
    })""")


def test_login_create_and_jobs_pages_work_with_nothing_blocked(page, live_url, problems, user_factory, tiny_model):
    alice = user_factory("alice", PASSWORD)
    response = page.goto(f"{live_url}/accounts/login/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()

    # Create: the htmx form posts and the new job's card arrives over the websocket.
    page.goto(f"{live_url}/create/")
    wait_for_socket(page)
    assert page.evaluate("() => htmx.config.allowEval") is False
    page.get_by_label("Prompt", exact=True).fill("a lighthouse at dusk")
    page.get_by_label("Model").select_option(DEMO)
    page.evaluate("() => { window.pageMarker = 'not reloaded'; }")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status").filter(has_text="Job queued.")).to_be_visible()
    expect(page.locator("#recent-jobs .job-card").first).to_contain_text("a lighthouse at dusk")
    assert page.evaluate("() => window.pageMarker") == "not reloaded"

    # Jobs: a change made elsewhere reaches the table live; an htmx click cancels in place.
    elsewhere = in_thread(job_create, owner=alice, parameters=QUICK)
    clicked = in_thread(job_create, owner=alice, parameters={**QUICK, "prompt": "cancel me"})
    page.goto(f"{live_url}/jobs/")
    wait_for_socket(page)
    page.evaluate("() => { window.pageMarker = 'not reloaded'; }")
    in_thread(job_cancel, job=elsewhere)
    expect(page.locator(f"#job-row-{elsewhere.pk} [data-status]")).to_have_text("Cancelled")
    clicked_row = page.locator(f"#job-row-{clicked.pk}")
    clicked_row.get_by_role("button", name="Cancel").click()
    expect(clicked_row.locator("[data-status]")).to_have_text("Cancelled")
    assert page.evaluate("() => window.pageMarker") == "not reloaded"
    # The filter form submits itself on change (static/js, no onchange attribute), boosted by htmx.
    page.get_by_label("Status").select_option("CANCELLED")
    expect(page).to_have_url(f"{live_url}/jobs/?status=CANCELLED&kind=")
    expect(page.locator(".job-item")).to_have_count(2)

    assert problems == []


def test_swagger_ui_renders_its_operations_with_nothing_blocked(page, live_url, problems):
    response = page.goto(f"{live_url}/api/docs/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-summary-path", has_text="/api/generation/image").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary", has_text="/api/health").first.click()  # expands: the UI's scripts run
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    assert problems == []


def test_the_other_pages_and_the_admin_load_with_nothing_blocked(page, live_url, problems, user_factory, tiny_model):
    boss = user_factory("boss", PASSWORD, is_staff=True, is_superuser=True)
    job = in_thread(job_create, owner=boss, parameters=QUICK)
    page.goto(f"{live_url}/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()
    for path in (
        f"/jobs/{job.pk}/", "/gallery/", "/personas/", "/models/", "/notifications/", "/accounts/password/change/",
        "/no-such-page", "/admin/catalog/installedmodel/", "/admin/catalog/installedlora/add/",
        f"/admin/jobs/job/{job.pk}/change/", "/admin/accounts/user/add/",
    ):  # fmt: skip
        response = page.goto(f"{live_url}{path}")
        assert response.status in (200, 404), path
        page.wait_for_load_state("load")
    assert problems == []
