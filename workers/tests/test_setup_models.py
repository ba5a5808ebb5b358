"""`manage.py setup_models` run as a real process: from a local Hugging Face cache (these machines
cannot reach the Hub), against an unreachable Hub and a broken proxy, and the GPU report."""

import socket
import socketserver
import threading

import pytest

from apps.catalog.models import InstalledLora, InstalledModel, Source
from tests.support.model_files import (
    catalog_write,
    hub_cache_repo,
    json_write,
    lora_entry,
    safetensors_write,
)
from workers.engines.sdxl.memory import GIB
from workers.gpu_report import GpuReport, gpu_report_collect, gpu_report_lines

PIPELINE_REPO = "seidra-test/tiny-sdxl-pipeline"
PIPELINE_FILES = [
    "model_index.json",
    "unet/config.json",
    "unet/diffusion_pytorch_model.fp16.safetensors",
    "vae/config.json",
    "vae/diffusion_pytorch_model.fp16.safetensors",
]
VAE_REPO = "seidra-test/tiny-vae-fix"
LORA_REPO = "seidra-test/ink-wash-xl"
LORA_REPO_FILE = "ink_wash_xl_v2.safetensors"


def _catalog_entries() -> list[dict]:
    return [
        {"name": "tiny-pipeline", "kind": "checkpoint", "repo_id": PIPELINE_REPO, "variant": "fp16",
         "files": PIPELINE_FILES, "license": "MIT", "base": "sdxl"},
        {"name": "tiny-vae", "kind": "vae", "repo_id": VAE_REPO, "variant": "",
         "files": ["config.json", "diffusion_pytorch_model.safetensors"], "license": "MIT", "base": "sdxl"},
        lora_entry("ink-wash", repo_id=LORA_REPO, filename=LORA_REPO_FILE, trigger_words=["ink wash"],
                   default_weight=0.6, license="Apache-2.0"),
    ]  # fmt: skip


def _hub_cache(cache, *, skip: str = "") -> None:
    """The three repos as huggingface_hub caches them, plus files the catalog does not ask for."""
    pipeline = {name: (None if name.endswith(".safetensors") else b'{"_class_name": "x"}') for name in PIPELINE_FILES}
    pipeline["unet/diffusion_pytorch_model.safetensors"] = None  # the fp32 weights: must not be taken
    pipeline.pop(skip, None)
    hub_cache_repo(cache, PIPELINE_REPO, pipeline)
    hub_cache_repo(cache, VAE_REPO, {"config.json": b"{}", "diffusion_pytorch_model.safetensors": None})
    hub_cache_repo(cache, LORA_REPO, {LORA_REPO_FILE: None, "README.md": b"# ink wash"})


@pytest.fixture
def setup_env(settings, tmp_path):
    """Environment for the command: its own models directory, catalog and (empty) HF home."""
    settings.SEIDRA_MODELS_DIR = tmp_path / "models"
    settings.SEIDRA_CATALOG_FILE = catalog_write(tmp_path / "catalog.json", _catalog_entries())
    return {
        "SEIDRA_MODELS_DIR": str(settings.SEIDRA_MODELS_DIR),
        "SEIDRA_CATALOG_FILE": str(settings.SEIDRA_CATALOG_FILE),
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_CACHE": str(tmp_path / "hf-home" / "hub"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_TOKEN": "",
        "SEIDRA_LOG_FILE": "0",
    }


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_offline_install_from_the_local_hub_cache(manage, setup_env, tmp_path):
    _hub_cache(tmp_path / "hf-home" / "hub")
    models = tmp_path / "models"

    result = manage("setup_models", "--offline", env=setup_env)

    assert result.returncode == 0, result.stderr
    assert "installed and verified" in result.stdout
    pipeline = models / "checkpoints" / "tiny-pipeline"
    assert sorted(p.relative_to(pipeline).as_posix() for p in pipeline.rglob("*") if p.is_file()) == sorted(
        PIPELINE_FILES
    )
    assert not (pipeline / "unet" / "diffusion_pytorch_model.safetensors").exists()  # only the fp16 variant
    assert (models / "vae" / "tiny-vae" / "diffusion_pytorch_model.safetensors").is_file()
    assert (models / "loras" / "ink-wash.safetensors").is_file()
    assert not (models / ".downloads" / "ink-wash").exists()  # staging cleaned up

    checkpoint = InstalledModel.objects.get(name="tiny-pipeline")
    assert (checkpoint.kind, checkpoint.format, checkpoint.source) == ("checkpoint", "diffusers", Source.CATALOG)
    assert checkpoint.repo_id == PIPELINE_REPO and checkpoint.size_bytes > 0
    assert InstalledModel.objects.get(name="tiny-vae").kind == "vae"
    lora = InstalledLora.objects.get(name="ink-wash")
    assert (lora.trigger_words, lora.default_weight, lora.license) == (["ink wash"], 0.6, "Apache-2.0")

    # A second run needs no network at all: everything is installed and verified.
    again = manage("setup_models", env={**setup_env, "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already installed, verified") == 3


def test_only_and_lora_limit_what_is_installed(manage, setup_env, tmp_path):
    _hub_cache(tmp_path / "hf-home" / "hub")

    result = manage("setup_models", "--offline", "--only", "tiny-vae", "--lora", "ink-wash", env=setup_env)

    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "models" / "checkpoints").exists()
    assert set(InstalledModel.objects.values_list("name", flat=True)) == {"tiny-vae"}
    assert InstalledLora.objects.filter(name="ink-wash").exists()


def test_unreachable_hub_fails_with_one_actionable_line(manage, setup_env, closed_port, tmp_path):
    result = manage("setup_models", "--only", "tiny-pipeline",
                    env={**setup_env, "HF_ENDPOINT": f"http://127.0.0.1:{closed_port}"})  # fmt: skip

    assert result.returncode == 1
    lines = _stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    line = lines[0]
    assert f"Cannot download {PIPELINE_REPO}: the Hugging Face Hub is unreachable (" in line
    assert "Connection refused" in line
    assert "HTTPS_PROXY" in line and "setup_models --offline" in line
    assert str(tmp_path / "models" / "checkpoints" / "tiny-pipeline") in line
    assert not (tmp_path / "models" / "checkpoints").exists()


class _BadGatewayProxy(socketserver.StreamRequestHandler):
    """A proxy that is up but refuses every tunnel, like a misconfigured corporate proxy."""

    def handle(self) -> None:
        self.rfile.readline()
        self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_broken_proxy_fails_with_one_line_naming_the_proxy(manage, setup_env):
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _BadGatewayProxy) as proxy:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        proxies = {"HTTPS_PROXY": proxy_url, "HTTP_PROXY": proxy_url, "NO_PROXY": ""}
        result = manage("setup_models", "--lora", "ink-wash", env={**setup_env, **proxies})
        proxy.shutdown()

    assert result.returncode == 1
    lines = _stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert "unreachable (proxy error: 502 Bad Gateway)" in lines[0]


def test_offline_without_the_files_says_what_to_copy_where(manage, setup_env, tmp_path):
    result = manage("setup_models", "--offline", "--lora", "ink-wash", env=setup_env)

    assert result.returncode == 1
    lines = _stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert f"Cannot install {LORA_REPO} offline: it is not in the local Hugging Face cache" in lines[0]
    assert f"copy {LORA_REPO_FILE} to {tmp_path / 'models' / 'loras' / 'ink-wash.safetensors'}" in lines[0]


def test_files_copied_by_hand_are_verified_and_listed_offline(manage, setup_env, tmp_path):
    # What the error message suggests: put the files in place, then run --offline.
    lora = safetensors_write(tmp_path / "models" / "loras" / "ink-wash.safetensors")

    result = manage("setup_models", "--offline", "--lora", "ink-wash", env=setup_env)

    assert result.returncode == 0, result.stderr
    assert "already installed, verified" in result.stdout
    assert InstalledLora.objects.get(name="ink-wash").size_bytes == lora.stat().st_size


def test_a_damaged_or_missing_file_is_reported_and_nothing_is_installed(manage, setup_env, tmp_path):
    cache = tmp_path / "hf-home" / "hub"
    _hub_cache(cache, skip="vae/config.json")
    snapshot = next((cache / f"models--{PIPELINE_REPO.replace('/', '--')}" / "snapshots").iterdir())
    weights = snapshot / "unet" / "diffusion_pytorch_model.fp16.safetensors"
    weights.write_bytes(weights.read_bytes()[:-40])  # an interrupted copy

    result = manage("setup_models", "--offline", "--only", "tiny-pipeline", env=setup_env)

    assert result.returncode == 1
    lines = _stderr_lines(result)
    assert len(lines) == 1, result.stderr
    assert "unet/diffusion_pytorch_model.fp16.safetensors" in lines[0] and "truncated download" in lines[0]
    assert "vae/config.json (missing)" in lines[0]
    assert not (tmp_path / "models" / "checkpoints" / "tiny-pipeline").exists()
    assert not InstalledModel.objects.exists()


def test_a_bad_catalog_or_unknown_name_fails_with_one_line(manage, setup_env, tmp_path):
    unknown = manage("setup_models", "--only", "tiny-vae,nope", env=setup_env)
    assert unknown.returncode == 1
    assert _stderr_lines(unknown) == [
        "CommandError: Not in the catalog: nope. Known names: tiny-pipeline, tiny-vae, ink-wash."
    ]

    broken = json_write(tmp_path / "broken.json", {"entries": [lora_entry("x", default_weight=-1)]})
    result = manage("setup_models", "--list", env={**setup_env, "SEIDRA_CATALOG_FILE": str(broken)})
    assert result.returncode == 1
    assert "entry 1 ('x'): 'default_weight' must be a number" in result.stderr


def test_help_documents_the_options(manage):
    result = manage("setup_models", "--help")
    text = " ".join(result.stdout.split())
    for expected in ("--only", "--lora", "--offline", "--list", "HF_TOKEN", "resumes", "fp16"):
        assert expected in text


def test_list_shows_the_catalog_and_what_is_installed(manage, setup_env, tmp_path):
    safetensors_write(tmp_path / "models" / "loras" / "ink-wash.safetensors")
    result = manage("setup_models", "--list", env=setup_env)
    assert result.returncode == 0
    assert "lora       ink-wash [anime] (seidra-test/ink-wash-xl) - installed" in result.stdout
    assert "checkpoint tiny-pipeline (seidra-test/tiny-sdxl-pipeline) - not installed" in result.stdout


def test_gpu_report_on_this_machine(manage, setup_env):
    info, warnings = gpu_report_lines(gpu_report_collect())
    import torch

    if torch.cuda.is_available():
        assert info[0].startswith(f"GPU: {torch.cuda.get_device_name(0)},") and "CUDA" in info[0]
    else:
        assert info == []
        assert warnings == ["No CUDA GPU found: generation will run on the CPU (very slow)."]
    # The command prints the same report, on stdout (stderr is kept for failures).
    result = manage("setup_models", "--only", "tiny-vae", "--offline", env=setup_env)
    assert (info or warnings)[0] in result.stdout


@pytest.mark.parametrize(
    ("free_gib", "mode"),
    [(24, None), (12, None), (10, "model_offload"), (6, "sequential_offload")],
)
def test_small_gpus_get_the_memory_mode_to_set(free_gib, mode):
    report = GpuReport(cuda_available=True, name="Test GPU", total_vram_bytes=int(free_gib * GIB) + GIB,
                       free_vram_bytes=int(free_gib * GIB), cuda_version="12.8", torch_version="2.13.0")  # fmt: skip
    info, warnings = gpu_report_lines(report)
    assert info[0].startswith("GPU: Test GPU,") and "CUDA 12.8" in info[0]
    if mode is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and f"SEIDRA_MEMORY_MODE={mode}" in warnings[0]
        assert "Less than 12 GiB of free VRAM" in warnings[0]
