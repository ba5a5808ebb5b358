"""The SDXL engine on the tiny demo model (any machine): load, per-step, per-image, LoRA switch."""

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from workers.engines.sdxl.cache import PipelineCache
from workers.engines.sdxl.generate import GenerationRequest, generate
from workers.engines.sdxl.loras import apply_loras
from workers.engines.sdxl.models_dir import lora_spec, model_source
from workers.engines.sdxl.runtime import Runtime
from workers.engines.sdxl.tiny_model import TINY_LORA_NAMES, TINY_MODEL_NAME, save_tiny_model

SIZES = (64, 256)
STEPS = 8
REPEATS = 5


def _median_seconds(function, repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def run(runtime: Runtime) -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-") as scratch:
        models_dir = Path(scratch)
        save_tiny_model(models_dir)
        source = model_source(models_dir, TINY_MODEL_NAME)
        cache = PipelineCache(max_size=1)

        started = time.perf_counter()
        cache.get(source, runtime)
        cold_load = time.perf_counter() - started

        def one(request):
            return generate(request, source=source, cache=cache, runtime=runtime)

        sizes = {}
        for side in SIZES:
            request = GenerationRequest(prompt="benchmark", width=side, height=side, steps=STEPS, seed=1)
            one(request)  # warm-up: first call allocates buffers
            per_image = _median_seconds(lambda request=request: one(request))
            sizes[f"{side}x{side}"] = {"seconds_per_image": per_image, "seconds_per_step": per_image / STEPS}

        loaded = cache.get(source, runtime)
        loras = [lora_spec(models_dir, name, 1.0) for name in TINY_LORA_NAMES]
        started = time.perf_counter()
        apply_loras(loaded, [loras[0]])
        first_lora_load = time.perf_counter() - started
        apply_loras(loaded, [loras[1]])
        switch = _median_seconds(lambda: (apply_loras(loaded, [loras[0]]), apply_loras(loaded, [loras[1]]))) / 2

        # A fresh worker doing 10 jobs, each with another LoRA or weight: the model loads once.
        fresh = PipelineCache(max_size=1)
        base = GenerationRequest(prompt="benchmark", width=64, height=64, steps=2, seed=1)
        for index in range(10):
            lora = lora_spec(models_dir, TINY_LORA_NAMES[index % 2], 0.5 + index / 20)
            generate(replace(base, loras=(lora,)), source=source, cache=fresh, runtime=runtime)
        return {
            "model": TINY_MODEL_NAME,
            "runtime": runtime.describe(),
            "torch_threads": torch.get_num_threads(),
            "cold_load_seconds": cold_load,
            "steps": STEPS,
            "sizes": sizes,
            "lora_first_load_seconds": first_lora_load,
            "lora_switch_seconds": switch,
            "loads_over_10_runs_with_lora_switches": fresh.loads,
        }
