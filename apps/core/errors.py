"""The domain error types. Services raise them; the API and command layers map them once
(apps/core/api_errors.py), and forms put ParameterError's messages next to their fields."""

from dataclasses import dataclass


class SeidraError(Exception):
    """A failure a person can act on. `status` is the HTTP status the API answers with;
    `retry_after` (seconds) becomes a Retry-After header, which every 429 carries."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        if status is not None:
            self.status = status

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


@dataclass
class ParameterError(Exception):
    """Invalid input: field name -> one message a person can act on (a 400 on the API)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.errors.items())
