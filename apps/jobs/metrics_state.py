"""Gauges of the shared job state, read at scrape time (apps/core/metrics.py STATE_REGISTRY): the
waiting jobs of each RQ queue, the RUNNING jobs by engine (the row is the truth) and the live workers
of each queue (RQ's registration plus the liveness key, as queue places and /api/health count them).

A scrape during a Redis or database outage leaves those families out instead of failing /metrics.
"""

import logging

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from apps.catalog.request import ENGINES
from apps.core import metrics

from . import queueing
from .models import Job, JobStatus

logger = logging.getLogger(__name__)


def _family(spec: tuple[str, str, list[str]]) -> GaugeMetricFamily:
    name, documentation, labels = spec
    return GaugeMetricFamily(name, documentation, labels=labels)


class JobStateCollector(Collector):
    def describe(self):
        return [_family(spec) for spec in (metrics.QUEUE_DEPTH, metrics.WORKERS_ALIVE, metrics.JOBS_RUNNING)]

    def collect(self):
        yield from self._redis_families()
        yield from self._database_families()

    def _redis_families(self):
        depth, alive = _family(metrics.QUEUE_DEPTH), _family(metrics.WORKERS_ALIVE)
        try:
            for name in queueing.job_queue_names():
                _, live = queueing.queue_places(job_ids=[], queue_name=name)
                depth.add_metric([name], queueing.job_queue(name).count)
                alive.add_metric([name], live)
        except RedisError as error:
            logger.warning("metrics: Redis unreachable, queue gauges left out (%s)", error)
            return
        yield depth
        yield alive

    def _database_families(self):
        running = _family(metrics.JOBS_RUNNING)
        try:
            rows = Job.objects.filter(status=JobStatus.RUNNING).values_list("engine").annotate(count=Count("id"))
            counts = dict(rows.order_by("engine"))
            for engine in ENGINES:  # an idle engine reads 0, not "No data"
                running.add_metric([engine], counts.get(engine, 0))
        except DatabaseError as error:
            logger.warning("metrics: database unreachable, running jobs left out (%s)", error)
            return
        yield running


_registered: list[JobStateCollector] = []


def job_state_collector_register() -> None:
    if not _registered:  # once per process, whatever calls ready()
        _registered.append(JobStateCollector())
        metrics.STATE_REGISTRY.register(_registered[0])
