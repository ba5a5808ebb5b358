"""Which models a request may name and what goes with them: local checkpoints, ComfyUI servers'
checkpoints and staff workflow templates (rows created here as the ComfyUI sync and the admin
leave them), their bounds, their LoRAs; and where the catalog says each one lives."""

import pytest

from apps.catalog.models import InstalledLora, InstalledModel, WorkflowTemplate
from apps.catalog.parameters import ParameterError, image_parameters_clean
from apps.catalog.request import ENGINE_COMFYUI, ENGINE_LOCAL, LoraChoice
from apps.catalog.selectors import lora_local_path, model_engine, model_locate
from apps.core.errors import SeidraError

GPU_BOX, LAPTOP, OTHER = "http://gpu-box:8188", "http://laptop:8188", "http://other:8188"
WORKFLOW = {"3": {"class_type": "KSampler", "inputs": {"seed": 1}}, "6": {"class_type": "CLIPTextEncode",
            "inputs": {"text": ""}}}  # fmt: skip


@pytest.fixture
def rows(db, settings, models_dir):
    settings.SEIDRA_COMFYUI_URLS = [GPU_BOX, LAPTOP]
    InstalledModel.objects.create(
        name="local-sdxl", kind="checkpoint", format="diffusers", path="checkpoints/local-sdxl"
    )
    InstalledModel.objects.create(
        name="seidra-tiny-sdxl",
        kind="checkpoint",
        format="diffusers",
        path="checkpoints/seidra-tiny-sdxl",
        is_demo=True,
    )
    InstalledModel.objects.create(
        name="juggernaut.safetensors", kind="checkpoint", format="single_file", path="", engine=ENGINE_COMFYUI,
        servers=[GPU_BOX, LAPTOP], source="comfyui",
    )  # fmt: skip
    InstalledLora.objects.create(name="local-style", path="loras/local-style.safetensors")
    for name, servers, key_format in (
        ("ink-kohya", [LAPTOP], "kohya"),
        ("ink-unchecked", [GPU_BOX], ""),
        ("ink-peft", [GPU_BOX], "diffusers"),
        ("far-away", [OTHER], "kohya"),
    ):
        InstalledLora.objects.create(
            name=name, path="", engine=ENGINE_COMFYUI, servers=servers, key_format=key_format, source="comfyui"
        )
    WorkflowTemplate.objects.create(
        name="portrait-flow", workflow=WORKFLOW, inputs={"prompt": {"node": "6", "input": "text"}}
    )
    WorkflowTemplate.objects.create(name="retired-flow", workflow=WORKFLOW, enabled=False)


def errors_of(data: dict) -> dict:
    with pytest.raises(ParameterError) as refused:
        image_parameters_clean({"prompt": "a fox", **data})
    return refused.value.errors


def test_a_comfyui_checkpoint_takes_the_real_model_bounds_and_no_cpu_limits(rows, settings):
    settings.SEIDRA_DEVICE = "cpu"  # this server's workers are CPUs; the ComfyUI server has its own device
    big = {"width": 1536, "height": 1536, "batch_size": 4, "steps": 100}
    request = image_parameters_clean({"prompt": "a fox", "model": "juggernaut.safetensors", **big})
    assert (request.model, request.width, request.steps) == ("juggernaut.safetensors", 1536, 100)
    assert model_engine("juggernaut.safetensors") == ENGINE_COMFYUI
    assert errors_of({"model": "juggernaut.safetensors", "width": 256})["width"] == "Must be between 512 and 1536."
    # The same job on a local model is over the CPU workers' limits.
    assert "SEIDRA_CPU_MAX_PIXELS" in errors_of({"model": "local-sdxl", **big})["batch_size"]
    left_out = image_parameters_clean({"prompt": "a fox", "model": "juggernaut.safetensors"})
    assert (left_out.width, left_out.height, left_out.steps) == (1024, 1024, 30)  # real-model defaults


def test_a_workflow_template_is_a_model_with_real_bounds_and_no_loras(rows):
    request = image_parameters_clean({"prompt": "a fox", "model": "portrait-flow", "width": 768, "height": 1024})
    assert request.model == "portrait-flow" and model_engine("portrait-flow") == ENGINE_COMFYUI
    assert errors_of({"model": "portrait-flow", "width": 64})["width"] == "Must be between 512 and 1536."
    loras = [{"name": "ink-kohya", "weight": 1}]
    assert errors_of({"model": "portrait-flow", "loras": loras})["loras"] == (
        "A workflow template takes no LoRAs: its workflow decides what it applies."
    )
    assert errors_of({"model": "retired-flow"})["model"] == "No model named 'retired-flow' is installed."


def test_loras_must_exist_for_the_models_engine(rows):
    def lora_error(model: str, lora: str) -> str:
        return errors_of({"model": model, "loras": [{"name": lora, "weight": 0.8}]})["loras"]

    # Local model: local LoRA rows only.
    assert image_parameters_clean(
        {"prompt": "a fox", "model": "local-sdxl", "loras": [{"name": "local-style"}]}
    ).loras == (LoraChoice("local-style", 1.0),)
    assert lora_error("local-sdxl", "ink-kohya") == "No LoRA named 'ink-kohya' is installed."
    # ComfyUI model: a ComfyUI LoRA listed by a server that also lists the model (kohya or not checked).
    for name in ("ink-kohya", "ink-unchecked"):
        request = image_parameters_clean(
            {"prompt": "a fox", "model": "juggernaut.safetensors", "loras": [{"name": name, "weight": 0.8}]}
        )
        assert request.loras == (LoraChoice(name, 0.8),)
    assert lora_error("juggernaut.safetensors", "far-away") == (
        "No ComfyUI server that has model 'juggernaut.safetensors' lists a LoRA named 'far-away'."
    )
    assert lora_error("juggernaut.safetensors", "local-style") == (
        "No ComfyUI server that has model 'juggernaut.safetensors' lists a LoRA named 'local-style'."
    )
    # A diffusers-format LoRA: ComfyUI would run the job and ignore the LoRA without a word.
    message = lora_error("juggernaut.safetensors", "ink-peft")
    assert "diffusers format" in message and "silently ignore" in message and "kohya" in message


def test_the_catalog_says_where_each_model_lives(rows, models_dir):
    local = model_locate("local-sdxl")
    assert (local.engine, local.path, local.config_dir, local.is_demo) == (
        ENGINE_LOCAL, models_dir / "checkpoints" / "local-sdxl", None, False,
    )  # fmt: skip
    assert model_locate("seidra-tiny-sdxl").is_demo
    comfy = model_locate("juggernaut.safetensors")
    assert (comfy.engine, comfy.servers, comfy.path) == (ENGINE_COMFYUI, (GPU_BOX, LAPTOP), None)
    template = model_locate("portrait-flow")
    assert (template.engine, template.servers, template.workflow) == (ENGINE_COMFYUI, (GPU_BOX, LAPTOP), WORKFLOW)
    assert template.workflow_inputs == {"prompt": {"node": "6", "input": "text"}}
    assert lora_local_path("local-style") == models_dir / "loras" / "local-style.safetensors"
    for missing in ("retired-flow", "nowhere"):
        with pytest.raises(SeidraError, match=f"No model named '{missing}'"):
            model_locate(missing)
    with pytest.raises(SeidraError, match="No LoRA named 'ink-kohya'"):
        lora_local_path("ink-kohya")  # a ComfyUI LoRA has no file here


def test_a_single_file_takes_its_configs_from_the_layout_rules(rows, models_dir):
    (models_dir / "checkpoints").mkdir(parents=True)
    (models_dir / "checkpoints" / "dreamy.safetensors").write_bytes(b"")
    InstalledModel.objects.create(
        name="dreamy.safetensors", kind="checkpoint", format="single_file", path="checkpoints/dreamy.safetensors"
    )
    assert model_locate("dreamy.safetensors").config_dir == "stabilityai/stable-diffusion-xl-base-1.0"  # online
    base = models_dir / "checkpoints" / "stable-diffusion-xl-base-1.0"
    base.mkdir()
    assert model_locate("dreamy.safetensors").config_dir == base  # the installed SDXL base, offline
    (models_dir / "vae" / "sdxl-vae-fp16-fix").mkdir(parents=True)
    assert model_locate("dreamy.safetensors").vae_path == models_dir / "vae" / "sdxl-vae-fp16-fix"
    assert model_locate("seidra-tiny-sdxl").vae_path is None  # the demo model keeps its own tiny VAE
