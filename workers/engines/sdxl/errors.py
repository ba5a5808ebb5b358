"""The local SDXL engine's own failures; the shared ones live in workers/engines/errors.py."""

from ..errors import EngineError, GenerationCancelled  # noqa: F401 - the engine's modules import them here


class InvalidRequest(EngineError):
    """A parameter is out of range; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class LoraError(EngineError):
    pass
