"""The SDXL engine on the tiny demo model (any machine): load, per-step, per-image, LoRA switch."""

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from django.test import override_settings

from apps.catalog.layout import local_model_location_by_name, lora_file
from apps.catalog.request import ImageRequest, LoraChoice
from workers.engines.sdxl.cache import PipelineCache
from workers.engines.sdxl.generate import generate
from workers.engines.sdxl.loras import LoraSpec, apply_loras
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
    with (
        tempfile.TemporaryDirectory(prefix="seidra-bench-") as scratch,
        override_settings(SEIDRA_MODELS_DIR=Path(scratch)),
    ):
        save_tiny_model(Path(scratch))
        source = local_model_location_by_name(TINY_MODEL_NAME)
        cache = PipelineCache(max_size=1)

        started = time.perf_counter()
        cache.get(source, runtime)
        cold_load = time.perf_counter() - started

        def one(request):
            return generate(request, source=source, lora_file=lora_file, cache=cache, runtime=runtime)

        sizes = {}
        for side in SIZES:
            request = ImageRequest(
                prompt="benchmark", model=TINY_MODEL_NAME, width=side, height=side, steps=STEPS, seed=1
            )
            one(request)  # warm-up: first call allocates buffers
            per_image = _median_seconds(lambda request=request: one(request))
            sizes[f"{side}x{side}"] = {"seconds_per_image": per_image, "seconds_per_step": per_image / STEPS}

        loaded = cache.get(source, runtime)
        loras = [LoraSpec(name, path=lora_file(name), weight=1.0) for name in TINY_LORA_NAMES]
        started = time.perf_counter()
        apply_loras(loaded, [loras[0]])
        first_lora_load = time.perf_counter() - started
        apply_loras(loaded, [loras[1]])
        switch = _median_seconds(lambda: (apply_loras(loaded, [loras[0]]), apply_loras(loaded, [loras[1]]))) / 2

        # A fresh worker doing 10 jobs, each with another LoRA or weight: the model loads once.
        fresh = PipelineCache(max_size=1)
        base = ImageRequest(prompt="benchmark", model=TINY_MODEL_NAME, width=64, height=64, steps=2, seed=1)
        for index in range(10):
            lora = LoraChoice(TINY_LORA_NAMES[index % 2], 0.5 + index / 20)
            generate(replace(base, loras=(lora,)), source=source, lora_file=lora_file, cache=fresh, runtime=runtime)
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
