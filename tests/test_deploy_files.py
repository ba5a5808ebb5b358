"""The deployment files under docker/ and ops/: what a deployer would trip over first.

No Django, no database: the files are read as text or YAML; the docker CLI checks run only where the
compose plugin is installed (the development machines have no Docker engine).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKER_DIR = REPO_ROOT / "docker"
COMPOSE_FILE = REPO_ROOT / "ops" / "docker-compose.yml"
SYSTEMD_DIR = REPO_ROOT / "ops" / "systemd"
DOCKERFILES = {"web": DOCKER_DIR / "web.Dockerfile", "worker": DOCKER_DIR / "worker.Dockerfile"}
STRICT_MODE = "set -o errexit -o nounset -o pipefail"
# "${NAME:?message}": compose refuses to start while NAME is unset or empty.
REQUIRED_REFERENCE = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}$")
REQUIRED_VARIABLES = {
    "SECRET_KEY": "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "seidra.example.org",
    "POSTGRES_PASSWORD": "0123456789abcdef0123456789abcdef",
    "SEIDRA_DEFAULT_USER_PASSWORD": "test-only-admin-password",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def environment_of(service: dict) -> dict[str, str]:
    """A service's `environment:` as a dict, whether written as a mapping or as a KEY=VALUE list."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: str(value) for key, value in environment.items()}


def seconds(duration: str) -> int:
    """A compose duration such as '10m', '90s' or '1m30s' in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"unreadable duration {duration!r}"
    return sum(int(number) * units[unit] for number, unit in parts)


def unit_directives(path: Path) -> dict[str, list[str]]:
    """A systemd unit's directives, each with all its values in order (ExecStartPre and Environment repeat)."""
    directives: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            directives.setdefault(key.strip(), []).append(value.strip())
    return directives


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") and not current:
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            if current.strip():
                logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def copy_sources(path: Path) -> list[str]:
    sources = []
    for instruction, arguments in dockerfile_instructions(path):
        if instruction == "COPY" and "--from=" not in arguments:
            words = [word for word in shlex.split(arguments) if not word.startswith("--")]
            sources += words[:-1]
    return sources


# --- ops/docker-compose.yml, read as YAML


def test_compose_has_the_four_services_and_builds_web_and_worker_from_docker_dir(compose):
    always = {name for name, service in compose["services"].items() if not service.get("profiles")}
    assert always == {"postgres", "redis", "web", "worker"}
    for role in ("web", "worker"):
        build = compose["services"][role]["build"]
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == REPO_ROOT, f"{role}: the build context must be the repository root"
        assert (context / build["dockerfile"]).resolve() == DOCKERFILES[role]


def test_web_and_worker_wait_for_healthy_postgres_and_redis(compose):
    services = compose["services"]
    for backing in ("postgres", "redis"):
        assert services[backing].get("healthcheck", {}).get("test"), f"{backing} has no healthcheck"
    for role in ("web", "worker"):
        depends_on = services[role]["depends_on"]
        for backing in ("postgres", "redis"):
            assert depends_on[backing]["condition"] == "service_healthy", f"{role} may start before {backing}"


def test_worker_reserves_one_nvidia_gpu_and_the_web_none(compose):
    devices = compose["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert [(device["driver"], device["count"], device["capabilities"]) for device in devices] == [
        ("nvidia", 1, ["gpu"])
    ]
    assert "deploy" not in compose["services"]["web"], "the web never needs a GPU"


def test_no_password_or_secret_is_written_in_the_compose_file(compose):
    for name, service in compose["services"].items():
        for key, value in environment_of(service).items():
            if "PASSWORD" in key or key == "SECRET_KEY":
                assert REQUIRED_REFERENCE.match(value), f"{name}: {key} must be a ${{{key}:?...}} reference"
            credentials = re.match(r"^[a-z+]+://(?P<user>[^:/@]+):(?P<password>[^@]+)@", value)
            if credentials:
                assert REQUIRED_REFERENCE.match(credentials["password"]), f"{name}: {key} has a literal password"
    web = environment_of(compose["services"]["web"])
    required = {REQUIRED_REFERENCE.match(value)["name"] for value in web.values() if REQUIRED_REFERENCE.match(value)}
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SEIDRA_DEFAULT_USER_PASSWORD"} <= required


def test_database_url_points_at_the_postgres_service_with_its_password(compose):
    postgres = environment_of(compose["services"]["postgres"])
    for role in ("web", "worker"):
        environment = environment_of(compose["services"][role])
        url = environment["DATABASE_URL"]
        assert url.startswith(f"postgres://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:")
        assert url.endswith(f"/{postgres['POSTGRES_DB']}")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert environment["DJANGO_SETTINGS_MODULE"] == "seidra.settings.production"


def test_media_and_models_live_in_named_volumes_where_the_settings_look(compose):
    services, volumes = compose["services"], compose["volumes"]
    mounts = {role: dict(reversed(m.split(":")[:2]) for m in services[role]["volumes"]) for role in ("web", "worker")}
    # Generated files are written by the worker and served by the web: both must see the same volume.
    assert mounts["web"]["/app/var/media"] == mounts["worker"]["/app/var/media"] == "media"
    assert mounts["worker"]["/app/var/models"] == "models"
    assert {"media", "models"} <= set(volumes)
    assert any(m.endswith(":/var/lib/postgresql/data") for m in services["postgres"]["volumes"])
    for role in ("web", "worker"):
        environment = environment_of(services[role])
        assert environment["SEIDRA_MEDIA_ROOT"] == "/app/var/media"
        assert environment["SEIDRA_MODELS_DIR"] == "/app/var/models"


def test_web_is_published_on_loopback_only(compose):
    # TLS ends at a proxy on the host (SEIDRA_HTTPS=1): port 8000 must not be reachable from outside.
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]
    for role in ("postgres", "redis", "worker"):
        assert "ports" not in compose["services"][role], f"{role} must not be published"


def test_a_stopping_worker_gets_time_to_finish_its_job(compose):
    assert seconds(compose["services"]["worker"]["stop_grace_period"]) >= 600
    unit = unit_directives(SYSTEMD_DIR / "seidra-worker@.service")
    assert int(unit["TimeoutStopSec"][0]) >= 600
    assert unit["KillSignal"] == ["SIGTERM"]
    # The default KillMode also sends SIGTERM to the job's work-horse, which then dies mid-job.
    assert unit["KillMode"] == ["mixed"]


# --- ops/docker-compose.yml, through the docker CLI where it is installed


@pytest.fixture(scope="module")
def docker_compose() -> list[str]:
    docker = shutil.which("docker")
    if not docker:
        pytest.skip("no docker CLI on this machine: `docker compose config` not checked")
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30)
    if version.returncode != 0:
        pytest.skip("the docker compose plugin is not installed: `docker compose config` not checked")
    return [docker, "compose", "-f", str(COMPOSE_FILE)]


def compose_config(command: list[str], variables: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in REQUIRED_VARIABLES}
    environment.update(variables)
    return subprocess.run(
        [*command, "config", "-q"], capture_output=True, text=True, env=environment, cwd=cwd, timeout=60
    )


def test_compose_config_accepts_the_file_with_the_required_variables(docker_compose, tmp_path):
    result = compose_config(docker_compose, REQUIRED_VARIABLES, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED_VARIABLES))
def test_compose_refuses_to_start_without_a_required_variable(docker_compose, tmp_path, missing):
    variables = {key: value for key, value in REQUIRED_VARIABLES.items() if key != missing}
    result = compose_config(docker_compose, variables, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


# --- docker/: shell scripts, Dockerfiles, healthcheck

SHELL_SCRIPTS = sorted(DOCKER_DIR.glob("*.sh"))


def test_the_container_start_scripts_exist():
    assert {path.name for path in SHELL_SCRIPTS} >= {"start-web.sh", "start-worker.sh"}


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_script_parses_runs_strict_and_execs_its_server(script):
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in script.read_text().splitlines()]
    assert lines[0] == "#!/usr/bin/env bash"
    code = [line for line in lines if line and not line.startswith("#")]
    assert code[0] == STRICT_MODE, f"{script.name}: the first command must be `{STRICT_MODE}`"
    # exec: the server becomes PID 1 and receives docker's SIGTERM itself (graceful stop, not a kill at timeout).
    assert code[-1].startswith("exec "), f"{script.name} must end by exec-ing its server"


@pytest.mark.parametrize("role", sorted(DOCKERFILES))
def test_every_file_a_dockerfile_copies_is_in_the_repository(role):
    sources = copy_sources(DOCKERFILES[role])
    assert "requirements/base.txt" in sources
    missing = [source for source in sources if not (REPO_ROOT / source).exists()]
    assert not missing, f"{role}.Dockerfile copies what the repository lacks: {missing}"
    # A `COPY . .` would carry .env (the secrets) and .venv into the image.
    assert "." not in sources


def test_web_image_does_not_install_the_ml_stack():
    # The web never imports torch: pulling ml.txt would add gigabytes and CUDA libraries to every web image.
    for instruction, arguments in dockerfile_instructions(DOCKERFILES["web"]):
        if instruction in {"COPY", "RUN"}:
            assert not re.search(r"ml\.txt|gpu\.txt|torch|xformers", arguments), (
                f"web.Dockerfile: {instruction} {arguments}"
            )
    assert "requirements/ml.txt" in copy_sources(DOCKERFILES["worker"])


def test_worker_image_installs_xformers_only_on_request():
    instructions = dockerfile_instructions(DOCKERFILES["worker"])
    assert ("ARG", "INSTALL_XFORMERS=0") in instructions
    install = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert "-r requirements/ml.txt" in install and "-r requirements/gpu.txt" in install


@pytest.mark.parametrize("role", sorted(DOCKERFILES))
def test_image_compiles_the_french_catalogue_and_runs_as_a_user(role):
    instructions = dockerfile_instructions(DOCKERFILES[role])
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    # The .mo is git-ignored: an image that does not compile it serves English only.
    assert "msgfmt -o locale/fr/LC_MESSAGES/django.mo locale/fr/LC_MESSAGES/django.po" in runs
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}
    command = [arguments for instruction, arguments in instructions if instruction == "CMD"][-1]
    script = REPO_ROOT / "docker" / f"start-{role}.sh"
    assert f"/app/docker/{script.name}" in command and script.exists()


def test_web_image_collects_static_files_and_checks_its_health():
    instructions = dockerfile_instructions(DOCKERFILES["web"])
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert "manage.py collectstatic --no-input" in runs
    assert ("EXPOSE", "8000") in instructions
    healthcheck = [arguments for instruction, arguments in instructions if instruction == "HEALTHCHECK"]
    assert healthcheck and "/app/docker/healthcheck.py" in healthcheck[0]


@pytest.mark.parametrize("role", sorted(DOCKERFILES))
def test_build_context_leaves_out_secrets_and_local_state(role):
    ignored = (DOCKER_DIR / f"{role}.Dockerfile.dockerignore").read_text().splitlines()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)


class _HealthStub(BaseHTTPRequestHandler):
    status = 200
    hosts: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hosts.append(self.headers["Host"])
        self.send_response(self.status if self.path == "/api/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_script_follows_the_health_endpoint(status, healthy):
    handler = type("Handler", (_HealthStub,), {"status": status, "hosts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(
            [sys.executable, str(DOCKER_DIR / "healthcheck.py")],
            env={"PORT": str(server.server_address[1]), "ALLOWED_HOSTS": ".example.org,localhost"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) is healthy, result.stderr
    # Django answers 400 to a Host outside ALLOWED_HOSTS: the probe must send an allowed one.
    assert handler.hosts == ["example.org"]


# --- ops/systemd


@pytest.mark.parametrize("unit", ["seidra-web.service", "seidra-worker@.service"])
def test_systemd_unit_runs_the_checkout_with_its_venv_and_env_file(unit):
    directives = unit_directives(SYSTEMD_DIR / unit)
    assert directives["EnvironmentFile"] == ["/etc/seidra/seidra.env"]
    assert directives["WorkingDirectory"] == ["/opt/seidra"]
    assert directives["Restart"] == ["on-failure"]
    assert "DJANGO_SETTINGS_MODULE=seidra.settings.production" in directives["Environment"]
    for command in directives["ExecStart"] + directives.get("ExecStartPre", []):
        assert command.startswith("/opt/seidra/.venv/bin/python "), command
    assert directives["User"] != ["root"]


def test_systemd_web_unit_migrates_and_bootstraps_before_serving():
    directives = unit_directives(SYSTEMD_DIR / "seidra-web.service")
    before = " ".join(directives["ExecStartPre"])
    assert "manage.py migrate --no-input" in before and "manage.py bootstrap_admin" in before
    assert "-m seidra.serve --host 127.0.0.1 --port 8000" in directives["ExecStart"][0]


def test_systemd_worker_unit_listens_on_the_gpu_queue():
    directives = unit_directives(SYSTEMD_DIR / "seidra-worker@.service")
    assert directives["ExecStart"][0].endswith("manage.py rqworker gpu")


def test_each_gpu_worker_instance_gets_its_own_gpu_and_metrics_port():
    # seidra-worker@0, @1... on a multi-GPU host: %i is the instance name, as systemd expands it.
    template = unit_directives(SYSTEMD_DIR / "seidra-worker@.service")["Environment"]
    instances = {gpu: [value.replace("%i", str(gpu)) for value in template] for gpu in range(10)}
    assert all(f"CUDA_VISIBLE_DEVICES={gpu}" in values for gpu, values in instances.items())
    ports = {
        int(value.partition("=")[2])
        for values in instances.values()
        for value in values
        if value.startswith("SEIDRA_WORKER_METRICS_PORT=")
    }
    assert len(ports) == 10 and 9108 in ports  # one each; @0 keeps the default the scrape config names
    assert all(1024 < port < 65536 for port in ports)


def test_the_comfyui_worker_is_optional_needs_no_gpu_and_listens_on_the_comfyui_queue(compose):
    worker = compose["services"]["comfyui-worker"]
    assert worker["profiles"] == ["comfyui"]  # only with `--profile comfyui`
    assert worker["image"] == compose["services"]["worker"]["image"]
    assert worker["command"][-2:] == ["/app/docker/start-worker.sh", "comfyui"]
    assert "deploy" not in worker, "it drives remote servers: no GPU reservation"
    directives = unit_directives(SYSTEMD_DIR / "seidra-comfyui-worker@.service")
    assert directives["ExecStart"][0].endswith("manage.py rqworker comfyui")
    assert not any("CUDA" in value for value in directives.get("Environment", []))


def test_worker_image_installs_the_nsfw_detector_unless_told_not_to():
    # The worker scores every image (workers/nsfw); the web never imports the detector.
    instructions = dockerfile_instructions(DOCKERFILES["worker"])
    assert ("ARG", "INSTALL_NSFW=1") in instructions
    install = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert "-r requirements/nsfw.txt" in install
    assert "requirements/nsfw.txt" in copy_sources(DOCKERFILES["worker"])
    web = " ".join(arguments for _instruction, arguments in dockerfile_instructions(DOCKERFILES["web"]))
    assert "nsfw.txt" not in web
