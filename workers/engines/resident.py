"""What a worker process keeps loaded between jobs: one pipeline cache and one runtime.

The GPU worker runs jobs in its own process (no fork per job), so these live as long as the
worker: SDXL is loaded by the first job that needs it and reused by every later one.
"""

import threading

from django.conf import settings

_lock = threading.Lock()
_cache = None
_runtime = None


def engine_cache():
    global _cache
    from .sdxl.cache import PipelineCache

    with _lock:
        if _cache is None:
            _cache = PipelineCache(max_size=settings.SEIDRA_PIPELINE_CACHE_SIZE)
        return _cache


def engine_runtime():
    global _runtime
    from .sdxl.runtime import runtime_from_settings

    with _lock:
        if _runtime is None:
            _runtime = runtime_from_settings(settings)
        return _runtime


def engine_device_label() -> str:
    """Where this worker's jobs run, as the home page shows it, or why they cannot run (a device
    named in SEIDRA_DEVICE that is missing), which is what the operator needs to read there."""
    from .sdxl.errors import EngineError

    try:
        return engine_runtime().device_label()
    except EngineError as error:
        return str(error)
