"""Engine failures, each with a message a person can act on (shown on the job and in the API).

Shared by every engine (local diffusers, ComfyUI): the job runner (workers/jobs.py) turns an
EngineError into FAILED with its message and GenerationCancelled into CANCELLED."""


class EngineError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GenerationCancelled(EngineError):
    def __init__(self, step: int) -> None:
        super().__init__(f"Cancelled after step {step}.")
        self.step = step
