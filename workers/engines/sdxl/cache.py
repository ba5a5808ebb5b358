"""Resident pipelines of one worker process: one per (model, device, dtype), least recently used
evicted first. SDXL is loaded once per worker, not per job; `loads` counts real loads."""

import gc
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import torch
from diffusers import StableDiffusionXLPipeline

from apps.catalog.request import ModelLocation
from apps.core import metrics

from .loading import load_pipeline
from .memory import MemoryMode
from .runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass
class LoadedPipeline:
    pipeline: StableDiffusionXLPipeline
    source: ModelLocation
    runtime: Runtime
    memory_mode: MemoryMode
    adapters: dict[str, str] = field(default_factory=dict)  # LoRA name -> adapter name in the pipeline
    lora_states: dict = field(default_factory=dict)  # compiled mode: LoRA name -> its UNet tensors
    slot_signature: tuple = ()  # compiled mode: the LoRAs and weights now in the slot
    lora_signature: tuple = ()  # the active LoRAs and weights of the last job (the switch metric)


class PipelineCache:
    def __init__(self, *, max_size: int = 1) -> None:
        self.max_size = max(1, max_size)
        self.loads = 0
        self._entries: OrderedDict[tuple, LoadedPipeline] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(source: ModelLocation, runtime: Runtime) -> tuple:
        return (source.name, str(runtime.device), runtime.dtype_name)

    def get(self, source: ModelLocation, runtime: Runtime) -> LoadedPipeline:
        key = self.key(source, runtime)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            while len(self._entries) >= self.max_size:
                self._evict_oldest()
            loaded = LoadedPipeline(load_pipeline(source, runtime), source, runtime, runtime.memory_mode)
            self.loads += 1
            metrics.pipeline_loads.inc()
            self._entries[key] = loaded
            return loaded

    def __contains__(self, key: tuple) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def _evict_oldest(self) -> None:
        key, _evicted = self._entries.popitem(last=False)
        logger.info("evicting model %s from the pipeline cache", key[0])
        del _evicted
        gc.collect()  # free the weights now, before the next model claims the memory
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def clear(self) -> None:
        with self._lock:
            while self._entries:
                self._evict_oldest()
