"""A job's context, carried from the request that enqueues it to the worker that runs it.

The RQ job's meta holds the request id and the W3C `traceparent` of the current span (empty when
no trace is recording: the OpenTelemetry API is a no-op until seidra/tracing.py sets it up). The
worker opens the job's span as a child of that context, so one trace spans web and worker, and
tags its log lines with the job id and the request id.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace

from .log_context import log_context, request_id_current

TRACER_NAME = "seidra.jobs"


def job_meta_carrier() -> dict[str, str]:
    """What an enqueued job carries of the current request: its id and trace context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if request_id := request_id_current():
        carrier["request_id"] = request_id
    return carrier


@contextmanager
def job_run_context(*, job_id: str, kind: str, meta: dict | None) -> Iterator[None]:
    """Around a job's run in the worker: its span (continuing the submitter's trace) and log tags."""
    meta = meta or {}
    parent = propagate.extract({key: value for key, value in meta.items() if isinstance(value, str)})
    tracer = trace.get_tracer(TRACER_NAME)
    with log_context(job_id=job_id, request_id=meta.get("request_id") or None):
        with tracer.start_as_current_span(
            f"job {kind}", context=parent, kind=trace.SpanKind.CONSUMER,
            attributes={"seidra.job.id": job_id, "seidra.job.kind": kind},
        ):  # fmt: skip
            yield
