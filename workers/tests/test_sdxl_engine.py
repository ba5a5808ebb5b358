"""The SDXL engine on the tiny random-weight model, through the real diffusers pipeline."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from django.test import override_settings
from prometheus_client import REGISTRY
from safetensors.torch import load_file, save_file

from apps.catalog import layout
from apps.catalog.request import ImageRequest, LoraChoice
from workers.engines.sdxl.cache import PipelineCache
from workers.engines.sdxl.errors import EngineError, GenerationCancelled, InvalidRequest, LoraError
from workers.engines.sdxl.generate import generate
from workers.engines.sdxl.memory import MemoryMode
from workers.engines.sdxl.runtime import Runtime, runtime_from_settings
from workers.engines.sdxl.schedulers import SCHEDULERS
from workers.engines.sdxl.tiny_model import TINY_MODEL_NAME

CPU = Runtime(device=torch.device("cpu"), dtype=torch.float32, attention="sdpa", memory_mode=MemoryMode.GPU)
BASE = ImageRequest(
    prompt="a lighthouse at dusk", model=TINY_MODEL_NAME, width=64, height=64, steps=3, guidance=5.0, seed=1234
)


@pytest.fixture(scope="session")
def models_dir(tiny_models_dir) -> Path:
    # The session's tiny model (conftest.py), built once for these tests and the job tests alike.
    return tiny_models_dir


@pytest.fixture
def cache() -> PipelineCache:
    return PipelineCache(max_size=2)


def pixels(result, index: int = 0) -> np.ndarray:
    return np.asarray(result.images[index], dtype=np.int16)


def location(models_dir, model=TINY_MODEL_NAME):
    """Where the catalog's layout rules put `model` under `models_dir` (apps/catalog/layout.py)."""
    with override_settings(SEIDRA_MODELS_DIR=models_dir):
        return layout.local_model_location_by_name(model)


def lora_files(models_dir):
    def lora_file(name):
        with override_settings(SEIDRA_MODELS_DIR=models_dir):
            return layout.lora_file(name)

    return lora_file


def run(models_dir, cache, request=BASE, *, model=TINY_MODEL_NAME, hook=None, runtime=CPU, lora_dir=None):
    return generate(
        request, source=location(models_dir, model), lora_file=lora_files(lora_dir or models_dir), cache=cache,
        runtime=runtime, hook=hook,
    )  # fmt: skip


def with_loras(request, *pairs):
    return replace(request, loras=tuple(LoraChoice(name, weight) for name, weight in pairs))


def test_generates_an_image_of_the_requested_size_with_its_parameters(models_dir, cache):
    result = run(models_dir, cache)
    assert result.images[0].size == (64, 64)
    assert result.parameters["seed"] == 1234 and result.seeds == [1234]
    assert result.parameters["model"] == TINY_MODEL_NAME
    assert result.parameters["scheduler"] == "Euler a"
    assert result.parameters["device"] == "cpu" and result.parameters["attention"] == "sdpa"


def test_same_seed_same_pixels_other_seed_or_prompt_other_pixels(models_dir, cache):
    first, again = run(models_dir, cache), run(models_dir, cache)
    assert np.array_equal(pixels(first), pixels(again))
    other_seed = run(models_dir, cache, replace(BASE, seed=99))
    assert np.abs(pixels(first) - pixels(other_seed)).mean() > 1
    other_prompt = run(models_dir, cache, replace(BASE, prompt="a forest in the snow"))
    assert np.abs(pixels(first) - pixels(other_prompt)).mean() > 0.5


def test_missing_seed_is_drawn_and_returned_and_a_batch_has_one_seed_per_image(models_dir, cache):
    drawn = run(models_dir, cache, replace(BASE, seed=None))
    assert isinstance(drawn.parameters["seed"], int)
    batch = run(models_dir, cache, replace(BASE, batch_size=2))
    assert batch.seeds == [1234, 1235] and len(batch.images) == 2
    # Any image of a batch can be made again alone from its own seed.
    alone = run(models_dir, cache, replace(BASE, seed=1235))
    assert np.abs(pixels(batch, 1) - pixels(alone)).max() <= 1


def test_single_file_checkpoint_gives_the_same_pixels_as_the_directory(models_dir, cache):
    from_directory = run(models_dir, cache)
    from_file = run(models_dir, cache, model=f"{TINY_MODEL_NAME}.safetensors")
    single = location(models_dir, f"{TINY_MODEL_NAME}.safetensors")
    assert single.config_dir == models_dir / "checkpoints" / TINY_MODEL_NAME  # configs from the directory beside it
    assert np.array_equal(pixels(from_directory), pixels(from_file))
    assert cache.loads == 2


def test_a_lora_changes_pixels_weight_zero_is_the_base_and_two_loras_mix(models_dir, cache):
    base = pixels(run(models_dir, cache))
    lora_a = pixels(run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora", 1.0))))
    lora_b = pixels(run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora-b", 1.0))))
    zero = pixels(run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora", 0.0))))
    both = pixels(run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora", 0.7), ("seidra-tiny-lora-b", 0.7))))
    assert np.abs(base - lora_a).mean() > 1 and np.abs(lora_a - lora_b).mean() > 1
    assert np.array_equal(base, zero)
    assert np.abs(both - lora_a).mean() > 1 and np.abs(both - lora_b).mean() > 1 and np.abs(both - base).mean() > 1
    # Back to no LoRA: exactly the base image again.
    assert np.array_equal(base, pixels(run(models_dir, cache)))


def test_switching_loras_never_reloads_the_base_model(models_dir, cache):
    counted = {
        name: REGISTRY.get_sample_value(name) or 0
        for name in ("seidra_lora_switches_total", "seidra_pipeline_loads_total")
    }
    sets = [("seidra-tiny-lora", 1.0)], [("seidra-tiny-lora-b", 0.5)], [], [("seidra-tiny-lora", 0.3)]
    for loras in sets * 2:
        run(models_dir, cache, with_loras(BASE, *loras))
    run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora", 0.3)))  # the same set again: no switch
    assert cache.loads == 1
    # The metrics say the same: one load, and a switch each time the set of active LoRAs changed.
    assert REGISTRY.get_sample_value("seidra_pipeline_loads_total") == counted["seidra_pipeline_loads_total"] + 1
    assert REGISTRY.get_sample_value("seidra_lora_switches_total") == counted["seidra_lora_switches_total"] + 8
    (loaded,) = cache._entries.values()
    assert set(loaded.adapters) == {"seidra-tiny-lora", "seidra-tiny-lora-b"}  # each file loaded once


def test_a_mismatched_lora_fails_clearly_and_the_next_run_still_works(models_dir, cache, tmp_path):
    base = pixels(run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora", 1.0))))
    # A LoRA made for a wider model: every down-projection has 8 more input features.
    state = load_file(str(models_dir / "loras" / "seidra-tiny-lora.safetensors"))
    wrong = {key: torch.cat([value, value[:, :8]], dim=1) if "lora_A" in key else value for key, value in state.items()}
    (tmp_path / "loras").mkdir()
    save_file(wrong, str(tmp_path / "loras" / "other-base.safetensors"))
    with pytest.raises(LoraError, match="does not fit model 'seidra-tiny-sdxl'"):
        run(models_dir, cache, with_loras(BASE, ("other-base", 1.0)), lora_dir=tmp_path)
    (loaded,) = cache._entries.values()
    assert "other-base" not in loaded.adapters
    assert not any("other" in name for names in loaded.pipeline.get_list_adapters().values() for name in names)
    after = pixels(run(models_dir, cache, with_loras(BASE, ("seidra-tiny-lora", 1.0))))
    assert np.array_equal(base, after)
    assert cache.loads == 1


def test_an_unknown_lora_is_refused_by_name(models_dir, cache):
    with pytest.raises(LoraError, match="Unknown LoRA 'no-such-style'"):
        run(models_dir, cache, with_loras(BASE, ("no-such-style", 1.0)))


def test_cancel_at_step_k_stops_there(models_dir, cache):
    seen = []

    def hook(progress):
        seen.append((progress.step, progress.total))
        if progress.step == 2:
            progress.cancel()

    with pytest.raises(GenerationCancelled) as cancelled:
        run(models_dir, cache, replace(BASE, steps=6), hook=hook)
    assert cancelled.value.step == 2
    assert seen == [(1, 6), (2, 6)]
    assert np.array_equal(pixels(run(models_dir, cache)), pixels(run(models_dir, cache)))  # pipeline still usable


def test_preview_is_a_small_rgb_image_that_changes_as_denoising_goes(models_dir, cache):
    previews = []

    def hook(progress):
        if progress.decoding is None:  # denoising steps only, not the cancel checks around the decode
            previews.append(progress.preview())

    run(models_dir, cache, replace(BASE, width=128, height=96, steps=4), hook=hook)
    assert len(previews) == 4
    assert all(image.size == (16, 12) and image.mode == "RGB" for image in previews)
    first, last = (np.asarray(image, dtype=np.int16) for image in (previews[0], previews[-1]))
    assert np.abs(first - last).mean() > 0.5


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_every_scheduler_runs(models_dir, cache, scheduler):
    result = run(models_dir, cache, replace(BASE, scheduler=scheduler, steps=4))
    assert result.parameters["scheduler"] == SCHEDULERS[scheduler][0]
    assert pixels(result).std() > 0  # a real image, not a blank


def test_schedulers_are_accepted_by_their_usual_label(models_dir, cache):
    result = run(models_dir, cache, replace(BASE, scheduler="DPM++ 2M Karras"))
    assert result.parameters["scheduler"] == "DPM++ 2M Karras"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"width": 100}, "width"),
        ({"height": 2048}, "height"),
        ({"steps": 0}, "steps"),
        ({"steps": 101}, "steps"),
        ({"guidance": 25.0}, "guidance"),
        ({"batch_size": 5}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"prompt": "   "}, "prompt"),
        ({"scheduler": "turbo-magic"}, "scheduler"),
    ],
)
def test_out_of_range_parameters_are_refused_naming_the_field(models_dir, cache, change, field):
    with pytest.raises(InvalidRequest) as refused:
        run(models_dir, cache, replace(BASE, **change))
    assert refused.value.field == field
    assert cache.loads == 0  # refused before any model is loaded


def test_real_models_refuse_demo_sizes(models_dir, tmp_path):
    from workers.engines.sdxl.generate import validate_request

    validate_request(BASE, is_demo=True)
    with pytest.raises(InvalidRequest, match="between 512 and 1536"):
        validate_request(BASE, is_demo=False)


def test_out_of_memory_steps_down_one_memory_mode_then_fails_naming_the_setting(models_dir, cache):
    attempts = []

    def oom_once(progress):
        attempts.append(progress.step)
        if len(attempts) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    result = run(models_dir, cache, hook=oom_once)
    assert result.retried_after_oom and result.memory_mode == MemoryMode.MODEL_OFFLOAD
    assert result.parameters["memory_mode"] == "model_offload"

    def always_oom(progress):
        raise torch.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(EngineError, match="SEIDRA_MEMORY_MODE=sequential_offload"):
        run(models_dir, cache, hook=always_oom)


def test_the_cache_evicts_the_least_recently_used_model(models_dir):
    cache = PipelineCache(max_size=1)
    run(models_dir, cache)
    run(models_dir, cache, model=f"{TINY_MODEL_NAME}.safetensors")
    run(models_dir, cache)
    assert cache.loads == 3 and len(cache) == 1


def test_unknown_model_names_the_fix(models_dir, cache):
    with pytest.raises(EngineError, match="Model 'sdxl-nope' is not on disk.*setup_models"):
        run(models_dir, cache, replace(BASE, width=512, height=512), model="sdxl-nope")


def test_runtime_on_this_cpu_machine_and_clear_errors_for_impossible_settings(settings):
    runtime = runtime_from_settings(settings)
    assert (runtime.device.type, runtime.dtype, runtime.attention, runtime.memory_mode) == (
        "cpu",
        torch.float32,
        "sdpa",
        MemoryMode.GPU,
    )
    settings.SEIDRA_ATTENTION = "xformers"
    with pytest.raises(EngineError, match="SEIDRA_ATTENTION=xformers needs a CUDA GPU"):
        runtime_from_settings(settings)
    settings.SEIDRA_ATTENTION, settings.SEIDRA_DTYPE = "auto", "fp16"
    with pytest.raises(EngineError, match="fp16 is not supported on the CPU"):
        runtime_from_settings(settings)
    settings.SEIDRA_DTYPE, settings.SEIDRA_MEMORY_MODE = "auto", "tiny"
    with pytest.raises(EngineError, match="SEIDRA_MEMORY_MODE=tiny is unknown"):
        runtime_from_settings(settings)


def test_compiled_pipeline_switches_loras_without_recompiling_and_matches_eager(models_dir, cache, monkeypatch):
    import torch._dynamo

    # The "eager" backend keeps dynamo's tracing and guards (what decides recompiles) without
    # inductor's code generation, so the test runs in seconds on a CPU.
    compiled = replace(CPU, compile=True, compile_backend="eager", compile_lora_rank=16)
    compiled_cache = PipelineCache(max_size=1)
    lora_a, lora_b = ("seidra-tiny-lora", 1.0), ("seidra-tiny-lora-b", 0.6)
    sets = [(), (lora_a,), (lora_b,), (("seidra-tiny-lora", 0.7), ("seidra-tiny-lora-b", 0.7)), ()]

    def compiled_run(loras):
        return run(models_dir, compiled_cache, with_loras(BASE, *loras), runtime=compiled)

    compiled_run(sets[0])  # first call traces the graph
    monkeypatch.setattr(torch._dynamo.config, "error_on_recompile", True)
    for loras in sets:
        got = pixels(compiled_run(loras))
        expected = pixels(run(models_dir, cache, with_loras(BASE, *loras)))
        assert np.abs(got - expected).max() <= 2, loras
    assert compiled_cache.loads == 1


def test_fp16_only_files_from_setup_models_load_in_fp32_on_a_cpu(tmp_path, cache):
    from workers.engines.sdxl.tiny_model import build_tiny_pipeline

    pipeline = build_tiny_pipeline()
    pipeline.to(torch.float16).save_pretrained(tmp_path / "checkpoints" / "fp16-only", variant="fp16")
    assert not list((tmp_path / "checkpoints" / "fp16-only" / "unet").glob("*[!6].safetensors"))
    # Not the demo name, so real-model size limits apply.
    result = run(tmp_path, cache, replace(BASE, width=512, height=512, steps=1), model="fp16-only")
    assert result.images[0].size == (512, 512) and result.parameters["dtype"] == "fp32"


@pytest.mark.django_db
def test_make_tiny_model_writes_the_real_layout_and_lists_it_in_the_catalog(tmp_path, settings):
    from io import StringIO

    from django.core.management import call_command

    from apps.catalog.models import InstalledLora, InstalledModel

    settings.SEIDRA_MODELS_DIR = tmp_path
    out = StringIO()
    call_command("make_tiny_model", stdout=out)
    assert "random weights" in out.getvalue()
    assert (tmp_path / "checkpoints" / TINY_MODEL_NAME / "model_index.json").exists()
    assert (tmp_path / "checkpoints" / f"{TINY_MODEL_NAME}.safetensors").exists()
    assert InstalledModel.objects.get(name=TINY_MODEL_NAME).is_demo
    assert set(InstalledLora.objects.values_list("name", flat=True)) == {"seidra-tiny-lora", "seidra-tiny-lora-b"}
    again = StringIO()
    call_command("make_tiny_model", stdout=again)
    assert "already" in again.getvalue()
    # What the command wrote loads through the same code path as real models.
    from apps.catalog.selectors import lora_local_path, model_locate

    request = with_loras(BASE, ("seidra-tiny-lora", 1.0))
    source = model_locate(TINY_MODEL_NAME)
    result = generate(request, source=source, lora_file=lora_local_path, cache=PipelineCache(), runtime=CPU)
    assert result.images[0].size == (64, 64)


def test_the_demo_model_refuses_sizes_and_steps_over_its_limits_naming_them(models_dir, cache):
    with pytest.raises(InvalidRequest, match="between 32 and 512 for the demo model") as refused:
        run(models_dir, cache, replace(BASE, width=1536, height=1536, batch_size=4, steps=100))
    assert refused.value.field == "width"
    with pytest.raises(InvalidRequest, match="between 1 and 50 for the demo model"):
        run(models_dir, cache, replace(BASE, steps=51))
    assert cache.loads == 0


def test_a_cpu_device_refuses_jobs_over_its_limits_naming_the_setting(models_dir, cache):
    small_cpu = replace(CPU, cpu_max_pixels=64 * 64, cpu_max_steps=3)
    with pytest.raises(InvalidRequest) as refused:
        run(models_dir, cache, replace(BASE, batch_size=2), runtime=small_cpu)
    assert refused.value.field == "size"
    assert "8192 pixels is over this CPU worker's limit of 4096 (SEIDRA_CPU_MAX_PIXELS)" in refused.value.message
    with pytest.raises(InvalidRequest, match=r"4 steps is over this CPU worker's limit of 3 \(SEIDRA_CPU_MAX_STEPS\)"):
        run(models_dir, cache, replace(BASE, steps=4), runtime=small_cpu)
    assert cache.loads == 0
    # Within the limits it runs.
    result = run(models_dir, cache, BASE, runtime=small_cpu)
    assert result.images[0].size == (64, 64)
    # A GPU has no such limit.
    from workers.engines.sdxl.generate import validate_request

    gpu = replace(small_cpu, device=torch.device("cuda"))
    validate_request(replace(BASE, width=1024, height=1024, batch_size=4, steps=100), is_demo=False, runtime=gpu)


def test_the_runtime_reads_the_cpu_limits_from_the_settings(settings):
    settings.SEIDRA_CPU_MAX_PIXELS, settings.SEIDRA_CPU_MAX_STEPS = 1234, 7
    runtime = runtime_from_settings(settings)
    assert runtime.on_cpu and (runtime.cpu_max_pixels, runtime.cpu_max_steps) == (1234, 7)


def test_cancel_requested_during_the_decode_stops_before_every_image_is_decoded(models_dir, cache):
    decodes = []
    run(models_dir, cache)  # load the pipeline, so its VAE can be watched
    (loaded,) = cache._entries.values()
    watch = loaded.pipeline.vae.decoder.register_forward_hook(lambda module, args, output: decodes.append(1))
    calls = []

    def hook(progress):
        calls.append((progress.step, progress.decoding))
        if progress.decoding == 1:  # the first image is decoded; cancel before the second
            progress.cancel()

    try:
        with pytest.raises(GenerationCancelled) as cancelled:
            run(models_dir, cache, replace(BASE, batch_size=3), hook=hook)
    finally:
        watch.remove()
    assert cancelled.value.step == BASE.steps
    assert calls == [(1, None), (2, None), (3, None), (3, 0), (3, 1)]
    assert len(decodes) == 1  # one image of three decoded, one VAE pass each


def test_a_batch_decoded_image_by_image_gives_the_pixels_of_each_seed_alone(models_dir, cache):
    calls = []
    batch = run(models_dir, cache, replace(BASE, batch_size=2), hook=lambda p: calls.append(p.decoding))
    assert calls == [None, None, None, 0, 1, 2]  # before each decode, and once after the last
    alone = run(models_dir, cache, replace(BASE, seed=1235))
    assert np.abs(pixels(batch, 1) - pixels(alone)).max() <= 1
