"""English and French are complete: every UI string in the code has a French translation."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_french_catalog_covers_every_ui_string(tmp_path):
    if not shutil.which("msgfmt"):
        pytest.fail("msgfmt is missing: run `make setup` (apt-get install gettext)")
    # Extract the strings again from a copy of the source, so a string added without its
    # French translation (or a stale catalog) fails here rather than showing English to a French user.
    # Every installed app must be importable there (workers is one: its management commands).
    for name in ("apps", "workers", "seidra", "templates", "locale", "manage.py"):
        source = REPO_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    extract = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "seidra.settings.test", "PATH": "/usr/bin:/bin", "SEIDRA_LOG_FILE": "0"},
    )  # fmt: skip
    assert extract.returncode == 0, extract.stderr
    stats = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(tmp_path / "locale/fr/LC_MESSAGES/django.po")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert stats.returncode == 0, stats.stderr
    assert re.fullmatch(r"\d+ translated messages\.", stats.stderr.strip()), (
        f"French catalog incomplete ({stats.stderr.strip()}): run `make messages` and translate the new entries"
    )
