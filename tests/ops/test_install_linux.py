"""install-linux.sh: --dry-run lists its steps and changes nothing; a real run (with a `make` that only
records its arguments) writes the start scripts and units once, and re-running changes nothing."""

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.asgi_server import REPO_ROOT
from tests.support.processes import child_env

INSTALLER = REPO_ROOT / "install-linux.sh"
GENERATED = ("start-seidra.sh", "start-backend.sh", "start-worker.sh", "var/systemd/seidra.service")
SCRIPT_TIMEOUT = 60


def _run(directory: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = child_env(PATH=path) if path else child_env()
    return subprocess.run(
        ["bash", str(directory / "install-linux.sh"), *args],
        cwd=directory, env=env, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
    )  # fmt: skip


def test_dry_run_lists_every_step_with_its_command_and_exits_zero():
    before = {name: (REPO_ROOT / name).exists() for name in GENERATED}

    result = _run(REPO_ROOT, "--dry-run")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Machine:" in out and "CPU cores" in out and "GB RAM" in out
    assert "make setup" in out
    assert "make tiny-model" in out or "make models" in out
    assert "start-seidra.sh, start-backend.sh, start-worker.sh" in out
    assert "var/systemd/seidra.service" in out
    assert "nothing was changed" in out
    assert {name: (REPO_ROOT / name).exists() for name in GENERATED} == before


def test_no_models_skips_the_model_step_and_help_documents_the_options():
    result = _run(REPO_ROOT, "--dry-run", "--no-models")
    assert result.returncode == 0
    steps = [line for line in result.stdout.splitlines() if line.startswith("[dry-run] step")]
    assert not any("make tiny-model" in line or "make models" in line for line in steps)
    assert "Models skipped" in result.stdout

    helped = _run(REPO_ROOT, "--help")
    assert helped.returncode == 0
    for option in ("--dry-run", "--no-models", "--install-units", "install-windows.bat"):
        assert option in helped.stdout

    wrong = _run(REPO_ROOT, "--frobnicate")
    assert wrong.returncode == 2 and "Unknown option: --frobnicate" in wrong.stderr


def test_a_real_run_writes_thin_wrappers_over_the_makefile_and_a_second_run_changes_nothing(tmp_path):
    shutil.copy(INSTALLER, tmp_path / "install-linux.sh")
    # A `make` that records what it is asked, so the test checks the installer, not pip.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "make").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/make-calls\n')
    (tools / "make").chmod(0o755)
    path = f"{tools}:{os.environ['PATH']}"

    first = _run(tmp_path, path=path)

    assert first.returncode == 0, first.stdout + first.stderr
    calls = (tmp_path / "make-calls").read_text().splitlines()
    assert calls[0] == "setup"
    assert calls[1] in ("tiny-model", "models")
    for name in GENERATED:
        assert f"wrote {name}" in first.stdout
    assert os.access(tmp_path / "start-seidra.sh", os.X_OK)
    unit = (tmp_path / "var/systemd/seidra.service").read_text()
    assert f"WorkingDirectory={tmp_path}" in unit and "ExecStart=/usr/bin/env make run" in unit

    backend = subprocess.run(
        [str(tmp_path / "start-backend.sh"), "PORT=8123"], env=child_env(PATH=path), timeout=SCRIPT_TIMEOUT
    )
    assert backend.returncode == 0
    assert (tmp_path / "make-calls").read_text().splitlines()[-1] == "web PORT=8123"

    second = _run(tmp_path, path=path)
    assert second.returncode == 0
    assert "wrote " not in second.stdout


def test_the_windows_installer_checks_for_wsl2_and_runs_the_linux_installer_inside_it():
    script = (REPO_ROOT / "install-windows.bat").read_bytes()
    # cmd.exe needs CRLF line ends for its labels; .gitattributes keeps them as committed.
    assert script.count(b"\r\n") == script.count(b"\n")
    text = script.decode()
    assert "grep -qi wsl2" in text  # WSL1 has no GPU access: refused with the conversion commands
    assert 'wsl.exe --cd "%~dp0" -e bash ./install-linux.sh %*' in text
