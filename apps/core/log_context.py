"""What each log line says it belongs to: the request id (web) and the job id (worker).

Context variables, so each WSGI thread, event-loop task and job sees its own values; the JSON
formatter (apps/core/log_json.py) reads them for every line.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("seidra_request_id", default="")
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("seidra_job_id", default="")


def request_id_current() -> str:
    return request_id_var.get()


@contextmanager
def log_context(*, request_id: str | None = None, job_id: str | None = None) -> Iterator[None]:
    """Tag every line logged inside the block; the previous values come back after it."""
    tokens = []
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    if job_id is not None:
        tokens.append((job_id_var, job_id_var.set(job_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
