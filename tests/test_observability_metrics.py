"""Every metric the Grafana dashboard or a Prometheus alert rule queries is one the app and the worker
really serve: a real job runs on a real worker, then web /metrics and the worker's metrics port are scraped.
A misspelt name in a panel would otherwise show "No data" forever, and an alert on it would never fire."""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import requests
import yaml

from apps.accounts.services import access_token_create
from tests.support.redis_server import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = REPO_ROOT / "ops" / "grafana" / "dashboards" / "seidra-observabilite.json"
ALERT_RULES = REPO_ROOT / "ops" / "prometheus" / "alerts.yml"
METRIC_NAME = re.compile(r"\bseidra_[a-z0-9_]+")
# Served only by a worker that sees an NVIDIA GPU: absent, not zero, elsewhere.
GPU_METRIC_PREFIX = "seidra_gpu_"
FINAL_STATUSES = {"SUCCEEDED", "FAILED", "CANCELLED"}
# A demo job on a loaded 2-core machine, importing torch included: minutes, never an hour.
JOB_WAIT_SECONDS = 600


def queried_metric_names() -> dict[str, str]:
    """Each seidra_ name a dashboard panel or alert rule queries -> where it is queried."""
    queried = {}
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            for name in METRIC_NAME.findall(target.get("expr", "")):
                queried.setdefault(name, f"panel {panel['title']!r}")
    for group in yaml.safe_load(ALERT_RULES.read_text())["groups"]:
        for rule in group["rules"]:
            for name in METRIC_NAME.findall(str(rule["expr"])):
                queried.setdefault(name, f"alert {rule.get('alert', rule.get('record'))!r}")
    return queried


def sample_names(exposition: str) -> set[str]:
    """The names of the samples in a Prometheus text exposition (histograms give _bucket, _sum, _count)."""
    return {re.split(r"[{\s]", line, maxsplit=1)[0] for line in exposition.splitlines() if line and line[0] != "#"}


def host_has_nvidia_gpu() -> bool:
    if shutil.which("nvidia-smi") is None:
        return False
    listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return listed.returncode == 0 and "GPU" in listed.stdout


def wait_until_final(live_url: str, headers: dict, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    while time.monotonic() < deadline:
        job = requests.get(f"{live_url}/api/jobs/{job_id}", headers=headers, timeout=30).json()
        if job["status"] in FINAL_STATUSES:
            return job
        time.sleep(1)
    raise AssertionError(f"job {job_id} did not finish within {JOB_WAIT_SECONDS} s")


def test_every_metric_a_panel_or_alert_queries_appears_in_a_real_scrape(
    live_url, user_factory, tiny_model, worker_process
):
    metrics_port = free_port()
    worker_process("w1", SEIDRA_WORKER_METRICS_PORT=metrics_port).wait_listening()
    user_factory("alice")
    headers = {"Authorization": f"Bearer {access_token_create(username='alice', hours=1)}"}
    quick_job = {"prompt": "a lighthouse at dusk", "width": 64, "height": 64, "steps": 2}
    submitted = requests.post(f"{live_url}/api/generation/image", json=quick_job, headers=headers, timeout=30)
    assert submitted.status_code == 201, submitted.text
    assert wait_until_final(live_url, headers, submitted.json()["id"])["status"] == "SUCCEEDED"
    # A wrong password, so the login failure counter has been through its code path too.
    requests.post(f"{live_url}/api/auth/token/", json={"username": "alice", "password": "wrong"}, timeout=30)

    web = requests.get(f"{live_url}/metrics", timeout=30)
    worker = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30)
    assert web.status_code == 200 and worker.status_code == 200
    served = sample_names(web.text) | sample_names(worker.text)

    queried = queried_metric_names()
    gpu_names = {name for name in queried if name.startswith(GPU_METRIC_PREFIX)}
    assert gpu_names, "the dashboard has no GPU panel"
    expected = set(queried) if host_has_nvidia_gpu() else set(queried) - gpu_names
    missing = {name: queried[name] for name in sorted(expected - served)}
    assert not missing, f"queried but not served: {missing}"
    if not host_has_nvidia_gpu():
        assert not gpu_names & served, "GPU metrics must be absent, not zero, without a GPU"
