"""The local engine: today's diffusers SDXL pipeline, resident in this worker process.

It maps the engine interface (workers/engines/base.py) onto workers/engines/sdxl/generate.py: the
typed request and the catalog's location go in as they are; LoRA files come from the catalog
(apps.catalog.selectors.lora_local_path); the step hook is the job's ProgressReporter.
"""

from pathlib import Path

from apps.catalog.request import ENGINE_LOCAL
from apps.catalog.selectors import lora_local_path
from apps.core.errors import SeidraError

from .base import EngineJob, EngineResult
from .resident import engine_cache, engine_runtime
from .sdxl.errors import LoraError
from .sdxl.generate import generate


def _lora_file(name: str) -> Path:
    try:
        return lora_local_path(name)
    except SeidraError as error:  # removed from the catalog since the job was submitted
        raise LoraError(error.message) from None


class LocalEngine:
    name = ENGINE_LOCAL

    def run(self, job: EngineJob) -> EngineResult:
        result = generate(
            job.request,
            source=job.location,
            lora_file=_lora_file,
            cache=engine_cache(),
            runtime=engine_runtime(),
            hook=job.hook,
        )
        return EngineResult(
            images=result.images, seeds=result.seeds, parameters=result.parameters, seconds=result.seconds
        )
