"""logs/seidra.log as an operator reads it: JSON lines, still written after logrotate moves the file."""

import json
import subprocess
import sys

from django.conf import settings

from tests.support.processes import child_env

# Logs a line, moves the file away as logrotate does, logs another: the second must land in a new file.
LOG_ROTATE_LOG = """
import logging, os
from django.conf import settings
log = logging.getLogger("seidra.ops")
log.warning("before rotation")
os.rename(settings.LOG_DIR / "seidra.log", settings.LOG_DIR / "seidra.log.1")
log.warning("after rotation")
"""


def test_the_log_file_has_json_lines_and_is_reopened_after_a_rotation(tmp_path):
    env = child_env(
        DJANGO_SETTINGS_MODULE="seidra.settings.production",
        SECRET_KEY="k" * 10 + "a-very-long-random-production-secret-for-tests-1234567890",
        SEIDRA_LOG_DIR=str(tmp_path),
        SEIDRA_LOG_FILE="1",
    )
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", LOG_ROTATE_LOG], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rotated = [json.loads(line) for line in (tmp_path / "seidra.log.1").read_text().splitlines()]
    current = [json.loads(line) for line in (tmp_path / "seidra.log").read_text().splitlines()]
    assert [line["message"] for line in rotated if line["logger"] == "seidra.ops"] == ["before rotation"]
    assert [line["message"] for line in current if line["logger"] == "seidra.ops"] == ["after rotation"]
    assert current[-1]["level"] == "WARNING" and current[-1]["timestamp"]
    # The console gets the same JSON lines.
    assert json.loads(run.stderr.splitlines()[-1])["message"] == "after rotation"


def test_an_unknown_log_format_is_refused_at_start():
    env = child_env(DJANGO_SETTINGS_MODULE="seidra.settings.test", SEIDRA_LOG_FORMAT="xml")
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode != 0 and "SEIDRA_LOG_FORMAT must be json or plain, not 'xml'" in run.stderr
