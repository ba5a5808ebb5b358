"""The project's Prometheus metrics: the one place of their names and labels.

Counters and histograms live in prometheus_client's default registry, which the web's /metrics
(django-prometheus) and the worker's own HTTP port (workers/metrics_server.py) both serve; each
process counts what happens in it, and Prometheus sums the instances.

Gauges of shared state (queue depth, running jobs, live workers) are read at scrape time from the
database and Redis by collectors registered in STATE_REGISTRY, which only the web's /metrics
serves: every web process then reports the same values, and a worker does not repeat them.
GPU gauges come from the worker's own collector (workers/gpu_metrics.py) and are absent, not zero,
without a GPU.
"""

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Seconds: from a tiny CPU job to a long SDXL batch or video.
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
WAIT_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

# Names of the gauges read at scrape time (apps/jobs/metrics_state.py) and of the worker's GPU gauges
# (workers/gpu_metrics.py), so that the names stay here.
QUEUE_DEPTH = ("seidra_queue_depth", "Jobs waiting in each RQ queue.", ["queue"])
JOBS_RUNNING = ("seidra_jobs_running", "Jobs RUNNING now, by engine (database).", ["engine"])
WORKERS_ALIVE = ("seidra_workers_alive", "Workers registered and beating, by queue.", ["queue"])
GPU_MEMORY_USED = ("seidra_gpu_memory_used_bytes", "GPU memory in use, by device (NVML).", ["device"])
GPU_MEMORY_TOTAL = ("seidra_gpu_memory_total_bytes", "GPU memory in all, by device (NVML).", ["device"])
GPU_UTILIZATION = ("seidra_gpu_utilization_ratio", "GPU busy ratio over NVML's last sample, 0 to 1.", ["device"])

STATE_REGISTRY = CollectorRegistry(auto_describe=True)

jobs_submitted = Counter("seidra_jobs_submitted", "Jobs submitted.", ["kind", "engine"])
jobs_finished = Counter("seidra_jobs_finished", "Jobs that reached a final status.", ["kind", "engine", "status"])
job_duration = Histogram(
    "seidra_job_duration_seconds", "From RUNNING to the final status.", ["kind", "engine"], buckets=DURATION_BUCKETS
)
job_queue_wait = Histogram(
    "seidra_job_queue_wait_seconds", "From submission to RUNNING.", ["kind", "engine"], buckets=WAIT_BUCKETS
)
pipeline_loads = Counter("seidra_pipeline_loads", "Diffusion pipelines loaded from disk by the worker.")
lora_switches = Counter("seidra_lora_switches", "Changes of the set of active LoRAs on a loaded pipeline.")
denoising_steps_per_second = Gauge(
    "seidra_denoising_steps_per_second", "Denoising steps per second of the last image job, by engine.", ["engine"]
)
notifications_sent = Counter("seidra_notifications_sent", "Notifications created for users.", ["level"])
login_failures = Counter("seidra_login_failures", "Failed login attempts (pages, API and admin).")
login_lockouts = Counter("seidra_login_lockouts", "Login attempts refused by a lockout (account or address).")


def job_submitted_count(*, kind: str, engine: str) -> None:
    jobs_submitted.labels(kind=kind, engine=engine).inc()


def job_started_observe(*, kind: str, engine: str, created: datetime, started: datetime) -> None:
    job_queue_wait.labels(kind=kind, engine=engine).observe(max(0.0, (started - created).total_seconds()))


def job_finished_observe(
    *, kind: str, engine: str, status: str, started: datetime | None, finished: datetime | None
) -> None:
    # Lower case in the label (succeeded, failed, cancelled), as Prometheus labels usually are.
    jobs_finished.labels(kind=kind, engine=engine, status=status.lower()).inc()
    if started and finished:  # a job cancelled while it waited never ran: no duration
        job_duration.labels(kind=kind, engine=engine).observe(max(0.0, (finished - started).total_seconds()))
