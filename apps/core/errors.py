"""The one domain error type. Services raise it; the API and command layers map it once."""


class SeidraError(Exception):
    """A failure a person can act on. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
