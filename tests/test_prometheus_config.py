"""ops/prometheus/: promtool (Debian package `prometheus`, in the Makefile's SYSTEM_PACKAGES) accepts
the scrape config and the alert rules, and the rules' own unit tests pass (alerts.test.yml); the web
job scrapes with the bearer token from a file, and every metric the rules query is a project metric."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[1] / "ops" / "prometheus"
PROJECT_METRICS = Path(__file__).resolve().parents[1] / "apps" / "core" / "metrics.py"


@pytest.fixture
def promtool():
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: apt-get install prometheus (make setup installs it)")
    return path


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """A copy of ops/prometheus with a token file, as an operator's box has one (never committed)."""
    for source in PROMETHEUS_DIR.glob("*.yml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "metrics-token").write_text("a-scrape-token\n")
    return tmp_path


def run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_promtool_accepts_the_config_and_its_rules(promtool, config_dir):
    result = run(promtool, "check", "config", "prometheus.yml", cwd=config_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rule files found" in result.stdout + result.stderr


def test_promtool_accepts_the_rules_and_their_unit_tests_pass(promtool, config_dir):
    checked = run(promtool, "check", "rules", "alerts.yml", cwd=config_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run(promtool, "test", "rules", "alerts.test.yml", cwd=config_dir)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_web_is_scraped_with_the_token_file_and_the_workers_on_their_port():
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    web = jobs["seidra-web"]
    assert web["metrics_path"] == "/metrics"
    assert web["authorization"] == {"type": "Bearer", "credentials_file": "secrets/metrics-token"}
    assert "credentials" not in web["authorization"]  # no token in the repository
    worker_targets = [target for group in jobs["seidra-worker"]["static_configs"] for target in group["targets"]]
    assert worker_targets == ["worker:9108"]  # SEIDRA_WORKER_METRICS_PORT's default


def test_the_rules_query_only_project_metrics():
    queried = set(re.findall(r"\bseidra_[a-z_]+", (PROMETHEUS_DIR / "alerts.yml").read_text()))
    # Counters are declared without the _total that prometheus_client adds.
    defined = set(re.findall(r'"(seidra_[a-z_]+)"', PROJECT_METRICS.read_text()))
    assert queried
    assert {name.removesuffix("_total") for name in queried} <= defined
