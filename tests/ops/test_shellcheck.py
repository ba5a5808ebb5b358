"""Every shell script of the repository passes shellcheck (Debian package `shellcheck`)."""

import shutil
import subprocess

import pytest

from tests.support.asgi_server import REPO_ROOT

SHELLCHECK_TIMEOUT = 120


def _shell_scripts() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    scripts = []
    for name in tracked:
        path = REPO_ROOT / name
        if not path.is_file():
            continue
        if name.endswith(".sh"):
            scripts.append(name)
            continue
        with path.open("rb") as handle:
            first_line = handle.readline(100)
        if first_line.startswith(b"#!") and (b"bash" in first_line or b"/sh" in first_line):
            scripts.append(name)
    return sorted(scripts)


def test_every_shell_script_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is missing: run `make setup` (apt-get install shellcheck)")
    scripts = _shell_scripts()
    assert "install-linux.sh" in scripts and "ops/scripts/run-local.sh" in scripts

    result = subprocess.run(
        ["shellcheck", *scripts], cwd=REPO_ROOT, capture_output=True, text=True, timeout=SHELLCHECK_TIMEOUT
    )

    assert result.returncode == 0, result.stdout
