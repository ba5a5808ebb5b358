"""The one interface every engine implements: a typed request in, images with their metadata out.

The job runner (workers/jobs.py) asks the catalog where the job's model lives
(apps.catalog.selectors.model_locate), picks the engine named there (`engine_for`), and hands it an
EngineJob. Engines report progress through `hook`, which is the job's ProgressReporter: it is
called with a Progress after every step (and may cancel the run through it).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from apps.catalog.request import ImageRequest, ModelLocation


class Progress(Protocol):
    """What an engine hands the hook. `decoding` is set (not None) for cancel checks after the last
    step (the local engine's VAE decodes); `preview()` is a small RGB image of the work so far, or None."""

    step: int  # steps done, 1..total
    total: int
    cancelled: bool
    decoding: int | None

    def cancel(self) -> None: ...

    def preview(self) -> Image.Image | None: ...


ProgressHook = Callable[[Progress], None]


@dataclass
class EngineJob:
    job_id: str
    request: ImageRequest
    location: ModelLocation
    hook: ProgressHook | None = None
    # True once the user cancelled (or the job was taken over): engines that wait without steps
    # (a remote server encoding the prompt) ask it between messages; the hook's Progress.cancel
    # covers the steps themselves.
    cancel_requested: Callable[[], bool] = lambda: False
    # What a previous attempt of this job recorded (Job.engine_details): e.g. the ComfyUI server and
    # prompt id it was sent to, so a resumed job follows that prompt instead of sending it twice.
    details: dict = field(default_factory=dict)
    # Saves engine details on the job row at once (before the job ends), for that resume.
    save_details: Callable[[dict], None] = lambda details: None


@dataclass
class EngineResult:
    images: list[Image.Image]
    seeds: list[int]  # one per image
    parameters: dict  # what really produced the images (ImageRequest.to_json() plus engine facts)
    details: dict = field(default_factory=dict)  # kept in Job.engine_details (e.g. the ComfyUI workflow)
    seconds: float = 0.0


class Engine(Protocol):
    name: str  # apps.catalog.request.ENGINE_LOCAL / ENGINE_COMFYUI

    def run(self, job: EngineJob) -> EngineResult: ...


def engine_for(engine_name: str) -> Engine:
    """The engine of a catalog entry. Imported lazily: a `comfyui` worker never imports torch."""
    from apps.catalog.request import ENGINE_COMFYUI, ENGINE_LOCAL

    if engine_name == ENGINE_LOCAL:
        from .local import LocalEngine

        return LocalEngine()
    if engine_name == ENGINE_COMFYUI:
        from .comfyui.engine import ComfyEngine

        return ComfyEngine()
    raise ValueError(f"unknown engine {engine_name!r}")
