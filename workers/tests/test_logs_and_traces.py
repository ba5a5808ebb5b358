"""What an operator reads about a job: the worker's JSON log lines carry the job id and the id of the
request that submitted it, and one trace runs from that request into the worker."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from apps.accounts.services import access_token_create
from apps.jobs.models import Job, JobStatus
from tests.support.auth import api_client_for
from tests.support.processes import child_env
from tests.support.workers import REPO_ROOT, burst_worker_run, wait_for

QUICK = {"prompt": "a red fox", "width": 32, "height": 32, "steps": 1, "seed": 7}


def job_status(job_id: str) -> str:
    return Job.objects.get(pk=job_id).status


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(900)  # a worker process imports torch: minutes on a loaded two-core machine
def test_a_real_workers_log_lines_are_json_and_carry_the_job_and_request_ids(
    tiny_model, user_factory, worker_process, live_url
):
    worker = worker_process("w1").wait_listening()
    user = user_factory()
    token = access_token_create(username=user.username, hours=1)
    answer = requests.post(
        f"{live_url}/api/generation/image", json={**QUICK, "model": tiny_model}, timeout=120,
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "submit-1234"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-ID"] == "submit-1234"
    job_id = answer.json()["id"]
    # The row turns SUCCEEDED just before the worker logs the outcome.
    done = f"image job {job_id}: succeeded"
    wait_for(lambda: done in worker.log.read_text(), timeout=600, what="the job's last line", worker=worker)
    assert job_status(job_id) == JobStatus.SUCCEEDED

    # Every line is JSON, the libraries' too (no progress bars, no handlers of their own).
    lines = [json.loads(line) for line in worker.log.read_text().splitlines()]
    assert lines, worker.output()
    for line in lines:
        assert {"timestamp", "level", "logger", "message"} <= line.keys(), line
    mine = [line for line in lines if line.get("job_id") == job_id]
    messages = [line["message"] for line in mine]
    assert f"image job {job_id}: picked up" in messages and done in messages, messages
    assert any(message.startswith("loaded model") for message in messages)  # the engine's lines too
    assert all(line["request_id"] == "submit-1234" for line in mine)
    # The worker's own lines between jobs belong to no job.
    assert any("job_id" not in line for line in lines)


@pytest.fixture(scope="module")
def span_exporter():
    """Tracing on in this process, spans kept in memory (as seidra/tracing.py sets it up, minus OTLP)."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from seidra import tracing

    exporter = InMemorySpanExporter()
    assert tracing.tracing_setup(exporter=exporter)
    yield exporter
    # The tracer provider stays (OpenTelemetry sets it once per process); the instrumentations go.
    DjangoInstrumentor().uninstrument()
    RedisInstrumentor().uninstrument()
    exporter.clear()


@pytest.mark.django_db(transaction=True)
def test_a_request_that_submits_a_job_and_the_job_in_the_worker_form_one_trace(span_exporter, tiny_model, user_factory):
    span_exporter.clear()
    answer = api_client_for(user_factory()).post("/api/generation/image", {**QUICK, "model": tiny_model}, format="json")
    assert answer.status_code == 201, answer.json()
    job_id = answer.json()["id"]
    burst_worker_run()
    assert job_status(job_id) == JobStatus.SUCCEEDED

    spans = span_exporter.get_finished_spans()
    [request_span] = [span for span in spans if span.attributes.get("http.route") == "api/generation/image"]
    [job_span] = [span for span in spans if span.name == "job image"]
    assert job_span.attributes["seidra.job.id"] == job_id
    trace_id = request_span.context.trace_id
    assert job_span.context.trace_id == trace_id

    # The job's span hangs under the request's (through the enqueue's span, if any), and Redis
    # commands of both sides are in the same trace.
    by_id = {span.context.span_id: span for span in spans}
    ancestor = job_span
    while ancestor.parent is not None and ancestor.parent.span_id in by_id:
        ancestor = by_id[ancestor.parent.span_id]
    assert ancestor is request_span
    redis_spans = [span for span in spans if span.context.trace_id == trace_id and "db.system" in span.attributes]
    assert any(span.parent.span_id == request_span.context.span_id for span in redis_spans)
    assert any(span.parent.span_id == job_span.context.span_id for span in redis_spans)


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


SPAN_IN_A_FRESH_PROCESS = """
import os, django
django.setup()
from opentelemetry import trace
from seidra.tracing import tracing_setup
endpoint = os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT")
assert tracing_setup() is False, "tracing must stay off without an endpoint"
os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
assert tracing_setup(service="seidra-worker") is True
with trace.get_tracer("check").start_as_current_span("exported span"):
    pass
trace.get_tracer_provider().shutdown()  # flushes the batch
"""


def test_spans_leave_over_otlp_to_the_endpoint_the_environment_names():
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = child_env(
            DJANGO_SETTINGS_MODULE="seidra.settings.test",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_port}",
            OTEL_EXPORTER_OTLP_HEADERS="x-tenant=seidra",
            OTEL_SERVICE_NAME="seidra-gpu-box-1",
        )
        run = subprocess.run(
            [sys.executable, "-c", SPAN_IN_A_FRESH_PROCESS], cwd=REPO_ROOT, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    finally:
        server.shutdown()
    [(path, headers, body)] = _Collector.received
    assert path == "/v1/traces" and headers["x-tenant"] == "seidra"
    export = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = export.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
    assert service == "seidra-gpu-box-1"
    assert [span.name for scope in resource_spans.scope_spans for span in scope.spans] == ["exported span"]
