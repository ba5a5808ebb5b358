"""Production settings refuse a missing or published SECRET_KEY; a proper environment passes check --deploy."""

import subprocess
import sys

from django.conf import settings

from tests.support.processes import child_env

REPO_ROOT = settings.BASE_DIR


def run_production(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in child_env().items() if k not in ("SECRET_KEY", "DEBUG")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "seidra.settings.production", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_the_seed_default_secret_key():
    result = run_production("check", SECRET_KEY="seidra-secret-key-change-in-production")
    assert result.returncode != 0
    assert "SECRET_KEY is the published default" in result.stderr


def test_production_refuses_an_empty_secret_key():
    result = run_production("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is empty" in result.stderr


def test_production_with_a_proper_environment_passes_check_deploy():
    result = run_production(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY="k" * 10 + "a-very-long-random-production-secret-for-tests-1234567890",
        ALLOWED_HOSTS="seidra.example.org",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_plain_http_mode_warns_only_about_the_https_settings():
    result = run_production(
        "check", "--deploy",
        SECRET_KEY="k" * 10 + "a-very-long-random-production-secret-for-tests-1234567890",
        ALLOWED_HOSTS="seidra.example.org", SEIDRA_HTTPS="0",
    )  # fmt: skip
    codes = {word.strip("():") for line in result.stderr.splitlines() for word in line.split() if "security.W" in word}
    assert codes == {"security.W004", "security.W008", "security.W012", "security.W016"}, result.stderr


def test_production_refuses_a_short_secret_key_and_says_how_to_make_one():
    result = run_production("check", SECRET_KEY="only-thirty-two-characters-long!")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak (32 characters): it needs at least 50 characters" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_production_refuses_a_long_key_of_one_repeated_character():
    result = run_production("check", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "5 of them different" in result.stderr
