"""Engine failures, each with a message a person can act on (shown on the job and in the API)."""


class EngineError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(EngineError):
    """A parameter is out of range; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class LoraError(EngineError):
    pass


class GenerationCancelled(EngineError):
    def __init__(self, step: int) -> None:
        super().__init__(f"Cancelled after step {step}.")
        self.step = step
