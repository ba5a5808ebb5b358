"""The GPU worker: `manage.py rqworker gpu` runs this class (settings.RQ["WORKER_CLASS"]).

- Jobs run in this process (rq's SimpleWorker), one after the other: a pipeline loaded by one
  job stays resident for the next; forking a work horse per job would load SDXL every time.
- A housekeeping thread keeps the worker's liveness key and RQ's heartbeats fresh while a
  long job holds the main thread, and runs the job reconcile every SEIDRA_RECONCILE_INTERVAL s.
- SIGTERM (or Ctrl-C) lets the current job finish, then exits (rq's warm shutdown); a second
  one stops at once, and the reconcile of another worker re-queues the interrupted job.
- Queue entries are JSON (never pickle), whatever serializer the command line names.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker, WorkerStatus

from apps.jobs import events as job_events
from apps.jobs import queueing
from apps.jobs.recovery import jobs_reconcile

from .events import publisher

logger = logging.getLogger(__name__)


class Housekeeper(threading.Thread):
    def __init__(self, worker: "GpuWorker") -> None:
        super().__init__(name="seidra-housekeeping", daemon=True)
        self.worker = worker
        self.ttl = settings.SEIDRA_WORKER_HEARTBEAT_TTL
        self.interval = max(self.ttl / 3, 0.2)
        self.reconcile_interval = settings.SEIDRA_RECONCILE_INTERVAL
        self.last_reconcile = time.monotonic()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.beat()
                if self.reconcile_interval and time.monotonic() - self.last_reconcile >= self.reconcile_interval:
                    self.last_reconcile = time.monotonic()
                    self.reconcile()
            except Exception:  # Redis or the database briefly away: try again at the next beat
                logger.warning("housekeeping failed; retrying", exc_info=True)

    def beat(self) -> None:
        queueing.worker_alive_mark(name=self.worker.name, ttl=self.ttl, connection=self.worker.connection)
        running = self.worker.running
        if running is not None:
            # What the forking rq worker does from its parent while the horse works.
            self.worker.maintain_heartbeats(*running)

    def reconcile(self) -> None:
        close_old_connections()
        try:
            report = jobs_reconcile()
            if report.changed:
                logger.warning("reconcile: %s", report)
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


class GpuWorker(SimpleWorker):
    def __init__(self, *args, serializer=None, **kwargs) -> None:
        super().__init__(*args, serializer=JSONSerializer, **kwargs)
        self.running = None  # (rq job, execution) while one runs
        self.housekeeper: Housekeeper | None = None

    def work(self, *args, **kwargs) -> bool:
        queueing.worker_alive_mark(
            name=self.name, ttl=settings.SEIDRA_WORKER_HEARTBEAT_TTL, connection=self.connection
        )
        # Events leave through a background loop, so a step never waits on Redis.
        job_events.event_sender_set(publisher().send)
        self.housekeeper = Housekeeper(self)
        try:
            return super().work(*args, **kwargs)
        finally:
            if self.housekeeper.is_alive():
                self.housekeeper.stop()
            publisher().flush()
            queueing.worker_alive_clear(name=self.name, connection=self.connection)

    def bootstrap(self, *args, **kwargs) -> None:
        super().bootstrap(*args, **kwargs)  # registered: /api/health counts this worker from now on
        # torch and diffusers are imported now, not by the first job (seconds of pickup latency).
        from .engines.sdxl import generate  # noqa: F401

        self.housekeeper.reconcile()  # jobs left behind by a worker that died before this one started
        self.housekeeper.start()

    def execute_job(self, job, queue) -> None:
        execution = self.prepare_execution(job)
        self.running = (job, execution)
        try:
            self.perform_job(job, queue, execution)
        finally:
            self.running = None
            publisher().flush()
            close_old_connections()
        self.set_state(WorkerStatus.IDLE)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        # Short, because the housekeeper refreshes it during the job: a dead worker's entry in
        # rq's started registry then expires in seconds, not after the whole job timeout.
        return max(settings.SEIDRA_WORKER_HEARTBEAT_TTL, 1) * 2 + 60
