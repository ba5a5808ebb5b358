"""OpenTelemetry, set up once per process when OTEL_EXPORTER_OTLP_ENDPOINT is set (web and worker).

Spans: every Django request (opentelemetry-instrumentation-django), every Redis command
(-instrumentation-redis) and every job (apps/core/trace_context.py, continuing the trace of the
request that enqueued it). They leave over OTLP/HTTP; the exporter reads the standard variables
itself (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://tempo:4318, _HEADERS, _TIMEOUT, and the
_TRACES_ variants), and OTEL_SERVICE_NAME names the process (default seidra-web or seidra-worker).
Without the endpoint nothing is set up and the API stays a no-op: no cost, no connection attempts.
"""

import os
import threading

_lock = threading.Lock()
_done = False


def tracing_enabled() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def tracing_setup(*, service: str = "seidra-web", exporter=None) -> bool:
    """Install the tracer provider and the instrumentations, once; True when tracing is on.

    `exporter` replaces the OTLP one (tests pass an in-memory exporter; spans are then exported
    as they end instead of in batches)."""
    global _done
    with _lock:
        if _done:
            return True
        if exporter is None and not tracing_enabled():
            return False
        from opentelemetry import trace
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or service
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
        if exporter is None:
            provider.add_span_processor(BatchSpanProcessor(otlp_exporter()))
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        DjangoInstrumentor().instrument()
        RedisInstrumentor().instrument()
        _done = True
        return True


def otlp_exporter():
    """The OTLP/HTTP span exporter, configured from the environment (endpoint, headers, timeout)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()
