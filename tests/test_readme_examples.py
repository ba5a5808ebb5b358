"""The README's API examples run as written against a real server (only the address is this test
server's): `make token`, the curl calls and the websocket script, with the model's defaults."""

import json
import re
import subprocess
import sys

from apps.accounts.services import access_token_create
from apps.jobs.models import Job, JobStatus
from tests.support.asgi_server import REPO_ROOT, database_url_for_test_db
from tests.support.processes import child_env

README_ADDRESS = "http://127.0.0.1:8000"
PASSWORD = "a-long-test-passphrase"
NO_SETUP = 'make() { command make -o setup "$@"; }\n'


def readme_block(after: str, language: str) -> str:
    """The first ```language block after the line that starts with `after`."""
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index(after)
    return re.search(rf"```{language}\n(.*?)```", readme[start:], re.S).group(1)


def json_documents(text: str) -> list:
    """The JSON documents printed one after another (curl prints no newline between them)."""
    decoder, documents, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
    return documents


def test_the_token_and_curl_examples_run_as_written(live_url, user_factory, tiny_model, redis_url):
    user_factory("admin", PASSWORD)
    # `make token` without its `setup` prerequisite: the suite runs set up already, and setup may
    # run pip, which a test must never do.
    script = NO_SETUP + readme_block("## API", "bash").replace(README_ADDRESS, live_url)
    env = child_env(
        DJANGO_SETTINGS_MODULE="seidra.settings.test", DATABASE_URL=database_url_for_test_db(), REDIS_URL=redis_url
    )
    # A reader's shell, not `make test`'s: an inherited MAKELEVEL makes the inner make print
    # "Entering directory" lines around the token.
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):
        env.pop(name, None)
    result = subprocess.run(
        ["bash", "-o", "errexit", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    token, rest = result.stdout.split("\n", 1)
    assert token.count(".") == 2  # `make token` printed a JWT and nothing else
    me, job = json_documents(rest)
    assert me["username"] == "admin"
    # Nothing but the prompt: the default model (the demo one here) and its defaults.
    assert job["status"] == JobStatus.QUEUED
    parameters = job["parameters"]
    assert (parameters["model"], parameters["width"], parameters["height"], parameters["steps"]) == (
        "seidra-tiny-sdxl", 256, 256, 20,
    )  # fmt: skip


def test_the_websocket_script_runs_as_written_and_follows_its_job_to_the_end(
    live_url, user_factory, tiny_model, worker_process
):
    user_factory("admin", PASSWORD)
    worker_process("w1").wait_registered(timeout=60)
    env = child_env(SEIDRA_URL=live_url, TOKEN=access_token_create(username="admin", hours=1))
    script = readme_block("**Live progress over a websocket.**", "python")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "job.finished SUCCEEDED 20", lines  # the demo model's 20 default steps
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.outputs.get().width == 256
