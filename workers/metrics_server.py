"""The worker's own Prometheus endpoint on SEIDRA_WORKER_METRICS_PORT (0: off), so a GPU host is
scraped directly: the job counters and histograms this process moves (apps/core/metrics.py), the
pipeline and LoRA counters, steps per second, and the GPU gauges (workers/gpu_metrics.py).

It serves prometheus_client's default registry on a daemon thread. Like the GPU itself, the port is
meant for the operator's network: bind it to SEIDRA_WORKER_METRICS_ADDRESS (127.0.0.1 when Prometheus
runs on the same host)."""

import logging

from django.conf import settings
from prometheus_client import REGISTRY, start_http_server

from .gpu_metrics import GpuCollector

logger = logging.getLogger(__name__)

_started: list[int] = []


def worker_metrics_start() -> int | None:
    """Start the endpoint once per process; returns its port, or None when off or the port is busy."""
    port = settings.SEIDRA_WORKER_METRICS_PORT
    if not port:
        return None
    if _started:
        return _started[0]
    try:
        start_http_server(port, addr=settings.SEIDRA_WORKER_METRICS_ADDRESS, registry=REGISTRY)
    except OSError as error:
        # A second worker on the same host with the default port: it works, unscraped; say how to fix it.
        logger.warning(
            "worker metrics: port %s unavailable (%s); give each worker its own SEIDRA_WORKER_METRICS_PORT",
            port,
            error,
        )
        return None
    REGISTRY.register(GpuCollector())
    _started.append(port)
    logger.info("worker metrics on %s:%s/metrics", settings.SEIDRA_WORKER_METRICS_ADDRESS, port)
    return port
