"""`make loadtest`'s Locust users against the session's real daphne: 10 s, every action, no failure."""

import subprocess
import sys

from tests.support.asgi_server import REPO_ROOT
from tests.support.processes import child_env

PASSWORD = "harbour-violet-lantern-77"
USERS = 4
# Locust's own run time plus start-up and the report; the runner kills Locust on its own margin.
RUN_TIMEOUT = 240
ACTIONS = ("/api/auth/token/", "/api/jobs", "/api/jobs/<id>", "/api/media", "/ws/jobs/", "/api/generation/image")


def test_the_locust_file_runs_ten_seconds_against_the_live_server_without_failures(
    live_url, user_factory, tiny_model, tmp_path
):
    from apps.jobs.services import job_create

    user = user_factory("loadtester", password=PASSWORD)
    job_create(owner=user, parameters={"prompt": "a job to open and follow", "width": 64, "height": 64, "steps": 2})

    result = subprocess.run(
        [sys.executable, "ops/loadtest/run.py", "--users", str(USERS), "--spawn-rate", str(USERS),
         "--run-time", "10s", "--host", live_url, "--report-dir", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        env=child_env(
            SEIDRA_LOADTEST_USER=user.username, SEIDRA_LOADTEST_PASSWORD=PASSWORD, SEIDRA_JWT="",
            # Every user submits one small job early in the 10 s, and acts often enough to do everything.
            SEIDRA_LOADTEST_SUBMIT_EVERY="5", SEIDRA_LOADTEST_WAIT="0.2-0.5",
        ),
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    [summary] = tmp_path.glob("loadtest-*.md")
    [html] = tmp_path.glob("loadtest-*.html")
    text = summary.read_text()
    assert "Verdict: PASS" in text
    rows = {
        line.split(" | ")[1]: line.split(" | ")
        for line in text.splitlines()
        if line.startswith("| ") and "---" not in line
    }
    for action in ACTIONS:
        assert action in rows, f"{action} was never requested:\n{text}"
        assert rows[action][3] == "0", f"{action} failed:\n{text}"
    assert rows["Aggregated"][3] == "0"
    assert "<html" in html.read_text().lower()
