"""The observability stack (ops/docker-compose.dev.yml and the files it mounts): what an operator would trip
over first. The development machines have no Docker engine, so the files are read as YAML and JSON; the
docker CLI checks run only where the compose plugin is installed.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
OPS_DIR = REPO_ROOT / "ops"
DEV_COMPOSE = OPS_DIR / "docker-compose.dev.yml"
GPU_OVERRIDE = OPS_DIR / "docker-compose.gpu.override.yml"
COMPOSE_FILES = [OPS_DIR / "docker-compose.yml", DEV_COMPOSE, GPU_OVERRIDE]
DASHBOARD = OPS_DIR / "grafana" / "dashboards" / "seidra-observabilite.json"
DATASOURCES = OPS_DIR / "grafana" / "provisioning" / "datasources" / "datasources.yml"
OBSERVABILITY_SCRIPT = OPS_DIR / "scripts" / "observability.sh"
# "${NAME:?message}": compose refuses to start while NAME is unset or empty.
REQUIRED_REFERENCE = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}$")


def compose_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: str(value) for key, value in environment.items()}


def host_ports_of(service: dict) -> set[int]:
    """The host side of a service's `ports:` ("127.0.0.1:3001:3000" -> 3001)."""
    return {int(str(mapping).split(":")[-2]) for mapping in service.get("ports", [])}


def bind_mount_sources(compose: dict) -> list[str]:
    """The repository files the services mount (short syntax, relative to the compose file's folder)."""
    sources = []
    for service in compose.get("services", {}).values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else str(volume).split(":")[0]
            if source.startswith((".", "/")) and not source.startswith("/var/run/"):
                sources.append(source)
    return sources


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_every_compose_file_parses_and_every_file_it_mounts_exists(path):
    compose = compose_of(path)
    assert compose.get("services"), f"{path.name} has no services"
    missing = [source for source in bind_mount_sources(compose) if not (path.parent / source).exists()]
    assert not missing, f"{path.name} mounts files the repository does not have: {missing}"


def test_the_dev_stack_has_every_service_on_its_documented_port():
    services = compose_of(DEV_COMPOSE)["services"]
    expected_ports = {"prometheus": {9090}, "grafana": {3001}, "loki": {3100}, "tempo": {3200, 4317, 4318}}
    for name, ports in expected_ports.items():
        assert ports <= host_ports_of(services[name]), f"{name} publishes {host_ports_of(services[name])}"
    assert {"redis", "postgres", "minio", "web", "worker", "comfyui", "promtail"} <= set(services)
    assert environment_of(services["comfyui"])["COMFYUI_CLI_ARGS"] == "${COMFYUI_CLI_ARGS:---cpu}"
    # Only this host reaches the stack: nothing is published on every interface.
    for name, service in services.items():
        for mapping in service.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), f"{name} publishes {mapping} beyond localhost"


def test_the_dev_stack_keeps_its_data_in_named_volumes():
    compose = compose_of(DEV_COMPOSE)
    assert {"grafana-data", "prometheus-data", "loki-data", "tempo-data"} <= set(compose["volumes"])
    mounted = {str(volume).split(":")[0] for volume in compose["services"]["grafana"]["volumes"]}
    assert "grafana-data" in mounted


def test_grafana_refuses_to_start_without_its_admin_variables():
    grafana = environment_of(compose_of(DEV_COMPOSE)["services"]["grafana"])
    for setting, variable in {
        "GF_SECURITY_ADMIN_USER": "SEIDRA_GRAFANA_ADMIN_USER",
        "GF_SECURITY_ADMIN_PASSWORD": "SEIDRA_GRAFANA_ADMIN_PASSWORD",
    }.items():
        reference = REQUIRED_REFERENCE.match(grafana[setting])
        assert reference and reference["name"] == variable, f"{setting} is {grafana[setting]!r}, not required"
    assert "SEIDRA_GRAFANA_ADMIN_PASSWORD=" in (REPO_ROOT / ".env.example").read_text()


def test_the_dev_stack_reads_its_credentials_from_env_dev():
    text = DEV_COMPOSE.read_text()
    assert "../.env.dev" in text
    services = compose_of(DEV_COMPOSE)["services"]
    assert REQUIRED_REFERENCE.match(environment_of(services["minio"])["MINIO_ROOT_PASSWORD"])
    assert REQUIRED_REFERENCE.match(environment_of(services["postgres"])["POSTGRES_PASSWORD"])


def test_the_gpu_override_reserves_the_nvidia_gpu_for_the_worker():
    worker = compose_of(GPU_OVERRIDE)["services"]["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any(device["driver"] == "nvidia" and "gpu" in device["capabilities"] for device in devices)
    assert {"NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"} <= set(environment_of(worker))


def test_prometheus_in_the_stack_reads_the_token_where_its_config_looks_and_scrapes_its_services():
    services = compose_of(DEV_COMPOSE)["services"]
    prometheus = services["prometheus"]
    mounted = dict(str(volume).split(":")[:2] for volume in prometheus["volumes"] if str(volume).startswith("."))
    config_path = Path(mounted["./prometheus/prometheus.yml"])
    config = yaml.safe_load((OPS_DIR / "prometheus" / "prometheus.yml").read_text())
    token_files = {
        str(config_path.parent / job["authorization"]["credentials_file"])
        for job in config["scrape_configs"]
        if "authorization" in job
    }
    secret_targets = {secret["target"] for secret in prometheus["secrets"]}
    assert token_files and token_files <= secret_targets, f"token read from {token_files}, given at {secret_targets}"
    for rule_file in config["rule_files"]:
        assert str(config_path.parent / rule_file) in mounted.values(), f"{rule_file} is not mounted"
    hosts = {target.split(":")[0] for job in config["scrape_configs"] for target in job["static_configs"][0]["targets"]}
    assert hosts - {"localhost"} <= set(services), f"scraped hosts that are not services: {hosts}"


def test_tempo_receives_otlp_on_the_ports_the_app_sends_to():
    tempo = yaml.safe_load((OPS_DIR / "tempo" / "tempo.yml").read_text())
    protocols = tempo["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")
    web = environment_of(compose_of(DEV_COMPOSE)["services"]["web"])
    assert web["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://tempo:4318"


def test_promtail_ships_to_the_loki_of_the_stack():
    promtail = yaml.safe_load((OPS_DIR / "promtail" / "promtail.yml").read_text())
    assert promtail["clients"][0]["url"] == "http://loki:3100/loki/api/v1/push"
    loki = yaml.safe_load((OPS_DIR / "loki" / "loki.yml").read_text())
    assert loki["server"]["http_listen_port"] == 3100


def dashboard_panels() -> list[dict]:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def test_the_dashboard_is_valid_json_with_its_gpu_jobs_and_notifications_rows():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["title"] == "SEIDRA Ultimate - Observabilité"
    rows = [panel["title"] for panel in dashboard["panels"] if panel["type"] == "row"]
    assert {"GPU", "Jobs", "Notifications"} <= set(rows), rows
    ids = [panel["id"] for panel in dashboard_panels()]
    assert len(ids) == len(set(ids)), "panel ids repeat"


def test_every_dashboard_panel_uses_a_provisioned_datasource():
    provisioned = {source["uid"] for source in yaml.safe_load(DATASOURCES.read_text())["datasources"]}
    assert {"prometheus", "loki", "tempo"} <= provisioned
    for panel in dashboard_panels():
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] in provisioned, panel["title"]
        assert panel["targets"] and all(target["expr"] for target in panel["targets"]), panel["title"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: make setup installs prometheus")
def test_every_prometheus_panel_query_is_valid_promql(tmp_path):
    # promtool parses the expressions of rule files: each panel's query becomes a recording rule.
    rules = [
        {"record": f"seidra_dashboard:panel{panel['id']}_{target['refId']}", "expr": target["expr"]}
        for panel in dashboard_panels()
        if panel["type"] != "row" and panel["datasource"]["uid"] == "prometheus"
        for target in panel["targets"]
    ]
    rules_file = tmp_path / "dashboard-rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout


def test_make_observability_up_says_what_is_missing_without_a_docker_engine(tmp_path):
    # A docker command that answers nothing, as on a machine with the CLI but no compose plugin nor engine.
    fake_docker = tmp_path / "docker"
    fake_docker.write_text("#!/bin/sh\nexit 1\n")
    fake_docker.chmod(0o755)
    environment = {**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin"}
    for action in ("up", "down"):
        result = subprocess.run(
            ["bash", str(OBSERVABILITY_SCRIPT), action], capture_output=True, text=True, env=environment
        )
        assert result.returncode != 0
        assert "compose" in result.stderr and "install" in result.stderr, result.stderr


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose plugin is not installed here",
)
def test_docker_compose_refuses_the_dev_stack_without_the_grafana_password(tmp_path):
    env_file = tmp_path / ".env.dev"
    env_file.write_text(
        "SECRET_KEY=x\nPOSTGRES_PASSWORD=x\nSEIDRA_DEFAULT_USER_PASSWORD=x\nSEIDRA_METRICS_TOKEN=x\n"
        "MINIO_ROOT_USER=x\nMINIO_ROOT_PASSWORD=x\nSEIDRA_GRAFANA_ADMIN_USER=admin\n"
    )
    result = subprocess.run(
        ["docker", "compose", "-f", str(DEV_COMPOSE), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if not key.startswith(("SEIDRA_", "MINIO_"))},
    )
    assert result.returncode != 0 and "SEIDRA_GRAFANA_ADMIN_PASSWORD" in result.stderr
