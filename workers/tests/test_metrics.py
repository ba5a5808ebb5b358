"""The project's metrics move when a real job runs: the web's /metrics (counters of this process and
the shared state read from the database and Redis) and a real worker process's own metrics port,
scraped over HTTP before and after, as Prometheus would."""

import socket

import pytest
from django.test import Client

from apps.jobs.models import JobStatus
from apps.jobs.services import job_create
from tests.support.metrics import free_port, metric_names, sample_value, scrape
from workers.tests.test_worker import QUICK, SLOW_MACHINE_TIMEOUT, status_of, wait_for

WORKER_FAMILIES = {
    "seidra_jobs_finished_total",
    "seidra_job_duration_seconds_count",
    "seidra_job_queue_wait_seconds_count",
    "seidra_pipeline_loads_total",
    "seidra_denoising_steps_per_second",
    "seidra_notifications_sent_total",
}


def web_metrics() -> str:
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_job_moves_the_web_and_worker_metrics(tiny_model, user_factory, worker_process):
    port = free_port()
    worker = worker_process("w1", SEIDRA_WORKER_METRICS_PORT=port).wait_listening()
    worker_url = f"http://127.0.0.1:{port}/metrics"
    before_web, before_worker = web_metrics(), scrape(worker_url)
    labels = {"kind": "image", "engine": "local"}
    assert sample_value(before_web, "seidra_workers_alive", queue="gpu") == 1
    assert sample_value(before_web, "seidra_queue_depth", queue="gpu") == 0
    assert sample_value(before_worker, "seidra_jobs_finished_total", **labels, status="succeeded") is None
    # No GPU here: the GPU gauges are absent, not zeros.
    assert not {name for name in metric_names(before_worker) if name.startswith("seidra_gpu_")}

    job = job_create(owner=user_factory(), parameters=QUICK)
    wait_for(lambda: status_of(job) in (JobStatus.SUCCEEDED, JobStatus.FAILED), what="the job to end", worker=worker)
    assert job.status == JobStatus.SUCCEEDED, job.error

    after_web = web_metrics()
    submitted = sample_value(after_web, "seidra_jobs_submitted_total", **labels)
    assert submitted == (sample_value(before_web, "seidra_jobs_submitted_total", **labels) or 0) + 1
    assert sample_value(after_web, "seidra_jobs_running", engine="local") in (None, 0)

    after_worker = scrape(worker_url)
    assert WORKER_FAMILIES <= metric_names(after_worker)
    assert sample_value(after_worker, "seidra_jobs_finished_total", **labels, status="succeeded") == 1
    assert sample_value(after_worker, "seidra_job_duration_seconds_count", **labels) == 1
    assert sample_value(after_worker, "seidra_job_queue_wait_seconds_count", **labels) == 1
    assert sample_value(after_worker, "seidra_pipeline_loads_total") == 1
    assert sample_value(after_worker, "seidra_denoising_steps_per_second", engine="local") > 0
    assert sample_value(after_worker, "seidra_notifications_sent_total", level="success") == 1


@pytest.mark.django_db(transaction=True)
def test_the_queue_depth_counts_waiting_jobs_without_a_worker(tiny_model, user_factory):
    owner = user_factory()
    job_create(owner=owner, parameters=QUICK)
    job_create(owner=owner, parameters=QUICK)
    page = web_metrics()
    assert sample_value(page, "seidra_queue_depth", queue="gpu") == 2
    assert sample_value(page, "seidra_workers_alive", queue="gpu") == 0


def test_a_busy_port_is_logged_and_the_worker_goes_on_without_it(settings, caplog):
    from workers.metrics_server import worker_metrics_start

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings.SEIDRA_WORKER_METRICS_ADDRESS = "127.0.0.1"
        settings.SEIDRA_WORKER_METRICS_PORT = taken.getsockname()[1]
        assert worker_metrics_start() is None
    assert "give each worker its own SEIDRA_WORKER_METRICS_PORT" in caplog.text
