"""The job worker: `manage.py rqworker gpu` (local SDXL) and `manage.py rqworker comfyui` (remote
ComfyUI servers; no torch imported) run this class (settings.RQ["WORKER_CLASS"]).

- Jobs run in this process (rq's SimpleWorker), one after the other: a pipeline loaded by one
  job stays resident for the next; forking a work horse per job would load SDXL every time.
- A heartbeat thread refreshes the worker's liveness key (TTL SEIDRA_WORKER_HEARTBEAT_TTL, several
  beats) and RQ's heartbeats every SEIDRA_WORKER_HEARTBEAT_INTERVAL s, from registration on, while a
  long job holds the main thread. It touches Redis only, never the database, so a slow query cannot
  delay a beat.
- A recovery thread looks for RUNNING jobs whose worker stopped beating at every beat (one query),
  and runs the whole reconcile at start, every SEIDRA_RECONCILE_INTERVAL s and after Redis outages.
- Redis outages are ridden out: Redis calls are retried with a backoff capped at one beat, the
  outage is logged once, and a job that ends meanwhile keeps its outcome in its row. When Redis
  comes back empty (its epoch changed, see apps/core/liveness.py) the worker registers again in
  RQ's registry and waiting jobs are pushed again at once.
- SIGTERM (or Ctrl-C) lets the current job finish, then exits (rq's warm shutdown); a second
  one stops at once, and another worker recovers the interrupted job.
- Queue entries are JSON (never pickle), whatever serializer the command line names.
"""

import logging
import threading
import time

import redis.exceptions
from django.conf import settings
from django.db import close_old_connections
from rq import worker_registration
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker, WorkerStatus

from apps.jobs import events as job_events
from apps.jobs import queueing
from apps.jobs.recovery import ReconcileReport, jobs_reconcile, jobs_recover_lost

from .events import publisher
from .metrics_server import worker_metrics_start
from .nsfw.detector import DetectorSettingError, nsfw_detector_load

logger = logging.getLogger(__name__)

REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisOutage:
    """One warning when Redis becomes unreachable and one when it is back, whichever thread notices."""

    def __init__(self, worker_name: str, on_recovered) -> None:
        self.worker_name = worker_name
        self.on_recovered = on_recovered
        self.lock = threading.Lock()
        self.since: float | None = None

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: Exception, doing: str) -> None:
        with self.lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        logger.warning(
            "worker %s: Redis unreachable while %s (%s); retrying until it is back, jobs go on",
            self.worker_name, doing, error,
        )  # fmt: skip

    def recovered(self) -> None:
        with self.lock:
            if self.since is None:
                return
            lasted, self.since = time.monotonic() - self.since, None
        logger.warning("worker %s: Redis reachable again after %.0f s", self.worker_name, lasted)
        self.on_recovered()


class Heartbeat(threading.Thread):
    """Redis only: liveness key, RQ heartbeats, and the dataset epoch (Redis restarted empty?)."""

    def __init__(self, worker: "GpuWorker") -> None:
        super().__init__(name="seidra-heartbeat", daemon=True)
        self.worker = worker
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.worker.beat_interval):
            try:
                self.beat()
            except REDIS_DOWN as error:
                self.worker.outage.failed(error, "beating")
            except Exception:
                logger.warning("heartbeat failed; retrying at the next beat", exc_info=True)

    def beat(self) -> None:
        worker = self.worker
        epoch, _ = queueing.redis_epoch(worker.connection)
        if epoch != worker.epoch:
            # Redis lost its data: RQ's registry entry and every queue entry are gone with it.
            logger.warning("worker %s: Redis restarted empty; registering again, re-queueing waiting jobs", worker.name)
            worker.epoch = epoch
            worker.register_again()
            worker.recovery.request(full=True, grace=0)
        worker.mark_alive()
        running = worker.running
        if running is not None:
            # What the forking rq worker does from its parent while the horse works.
            worker.maintain_heartbeats(*running)
        else:
            worker.heartbeat(worker.worker_ttl + 60, pipeline=None, quiet=True)
        worker.outage.recovered()
        worker.recovery.request()


class Recovery(threading.Thread):
    """Database work of the housekeeping: the per-beat lost-job check and the full reconcile."""

    def __init__(self, worker: "GpuWorker") -> None:
        super().__init__(name="seidra-recovery", daemon=True)
        self.worker = worker
        self.ttl = settings.SEIDRA_WORKER_HEARTBEAT_TTL
        self.reconcile_interval = settings.SEIDRA_RECONCILE_INTERVAL
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.full, self.grace = True, None  # the start-up reconcile
        self.last_full = time.monotonic()
        self.quiet_until = 0.0
        self.wake.set()

    def request(self, *, full: bool = False, grace: int | None = None, quiet: bool = False) -> None:
        with self.lock:
            self.full = self.full or full
            if grace is not None:
                self.grace = grace
            if quiet:
                # Every worker was cut off like this one: give them one TTL to beat again before
                # a missing liveness key means anything.
                self.quiet_until = time.monotonic() + self.ttl
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self.worker.beat_interval)
            self.wake.clear()
            if self.stopping.is_set():
                break
            with self.lock:
                now = time.monotonic()
                full = self.full or bool(self.reconcile_interval and now - self.last_full >= self.reconcile_interval)
                grace, quiet = self.grace, now < self.quiet_until
                self.full, self.grace = False, None
            try:
                self.check(full=full, grace=grace, quiet=quiet)
                if full:
                    self.last_full = time.monotonic()
            except REDIS_DOWN as error:
                self.worker.outage.failed(error, "reconciling jobs")
                if full:
                    self.request(full=True, grace=grace)
            except Exception:
                logger.warning("job recovery failed; retrying at the next beat", exc_info=True)
            finally:
                close_old_connections()

    def check(self, *, full: bool, grace: int | None, quiet: bool) -> None:
        close_old_connections()
        if full:
            report = jobs_reconcile(queued_grace_seconds=grace, recover_lost=not quiet)
        elif not quiet:
            report = jobs_recover_lost()
        else:
            report = ReconcileReport()
        if report.changed:
            logger.warning("reconcile: %s", report)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


def comfyui_device_label() -> str:
    urls = settings.SEIDRA_COMFYUI_URLS
    if not urls:
        return "ComfyUI: no server configured (set SEIDRA_COMFYUI_URL)"
    return "ComfyUI " + ", ".join(urls)


class ComfyuiCatalogRefresh(threading.Thread):
    """The ComfyUI servers' checkpoints and LoRAs in the catalog: at start, then every
    SEIDRA_COMFYUI_REFRESH_SECONDS (a model added on a server appears without a restart)."""

    def __init__(self) -> None:
        super().__init__(name="seidra-comfyui-refresh", daemon=True)
        self.interval = settings.SEIDRA_COMFYUI_REFRESH_SECONDS
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                from apps.catalog.comfyui_sync import catalog_comfyui_refresh

                report = catalog_comfyui_refresh()
                logger.info("ComfyUI catalog refreshed: %s", report)
            except Exception:
                logger.warning("ComfyUI catalog refresh failed; retrying in %s s", self.interval, exc_info=True)
            finally:
                close_old_connections()
            if not self.interval or self.stopping.wait(self.interval):
                break


class GpuWorker(SimpleWorker):
    def __init__(self, *args, serializer=None, **kwargs) -> None:
        super().__init__(*args, serializer=JSONSerializer, **kwargs)
        self.running = None  # (rq job, execution) while one runs
        self.beat_interval = settings.SEIDRA_WORKER_HEARTBEAT_INTERVAL
        self.liveness_ttl = settings.SEIDRA_WORKER_HEARTBEAT_TTL
        # rq's own retry of a lost Redis while dequeueing: back within a beat, not a minute.
        self.max_connection_wait_time = self.beat_interval
        self.epoch: str | None = None
        self.outage = RedisOutage(self.name, on_recovered=self._redis_recovered)
        self.heartbeat_thread: Heartbeat | None = None
        self.recovery: Recovery | None = None
        self.comfyui_refresh: ComfyuiCatalogRefresh | None = None
        self.device = ""  # in the liveness key, once the engine is loaded: the home page shows it
        try:
            # Resident from now on, like the pipeline; a setting it cannot honour stops the worker here,
            # before it registers, with one line saying what to change.
            nsfw_detector_load()
        except DetectorSettingError as error:
            raise SystemExit(f"worker: {error}") from None

    # --- lifecycle ----------------------------------------------------------------------------

    def work(self, *args, **kwargs) -> bool:
        # Events leave through a background loop, so a step never waits on Redis.
        job_events.event_sender_set(publisher().send)
        self.heartbeat_thread, self.recovery = Heartbeat(self), Recovery(self)
        try:
            return super().work(*args, **kwargs)
        finally:
            self.heartbeat_thread.stopping.set()
            self.recovery.stop()
            if self.comfyui_refresh is not None:
                self.comfyui_refresh.stopping.set()
            if self.heartbeat_thread.is_alive():  # no beat may land after the key is cleared below
                self.heartbeat_thread.join(timeout=10)
            publisher().flush()
            try:
                queueing.worker_alive_clear(name=self.name, connection=self.connection)
            except REDIS_DOWN:
                pass  # the key expires on its own

    def bootstrap(self, *args, **kwargs) -> None:
        super().bootstrap(*args, **kwargs)  # registered in RQ: /api/health counts it once it beats
        worker_metrics_start()  # before the slow imports: a starting worker is already scraped
        self.epoch, _ = queueing.redis_epoch(self.connection)
        self.mark_alive()
        self.heartbeat_thread.start()  # before the slow imports below: a starting worker beats too
        devices = []
        if settings.SEIDRA_GPU_QUEUE in self.queue_names():
            # torch and diffusers are imported now, not by the first job (seconds of pickup latency).
            from .engines.resident import engine_device_label
            from .engines.sdxl import generate  # noqa: F401

            devices.append(engine_device_label())
        if settings.SEIDRA_COMFYUI_QUEUE in self.queue_names():
            # No torch: this worker drives remote ComfyUI servers, whose catalog it keeps fresh.
            devices.append(comfyui_device_label())
            self.comfyui_refresh = ComfyuiCatalogRefresh()
            self.comfyui_refresh.start()
        self.device = " + ".join(devices)
        self.mark_alive()  # the device is known now, not only at the next beat
        self.recovery.start()  # its first run is the full reconcile (jobs of a worker that died)

    def teardown(self) -> None:
        try:
            super().teardown()
        except REDIS_DOWN as error:
            logger.warning("worker %s: Redis unreachable at exit (%s); its registry entry expires on its own",
                           self.name, error)  # fmt: skip

    # --- jobs ---------------------------------------------------------------------------------

    def execute_job(self, job, queue) -> None:
        # A job just taken must never look lost: the liveness key is fresh as the job starts.
        self.ride_out(self.mark_alive, "marking itself alive")
        execution = self.ride_out(lambda: self.prepare_execution(job), f"starting job {job.id}")
        self.running = (job, execution)
        try:
            self.perform_job(job, queue, execution)
        except REDIS_DOWN as error:
            # rq's bookkeeping of the ended job (result, registries) needs Redis; the job's outcome
            # is already in its row, which is what pages, the API and the recovery read.
            self.outage.failed(error, f"recording the end of job {job.id} (its row has the outcome)")
        finally:
            self.running = None
            publisher().flush()
            close_old_connections()
        self.set_state(WorkerStatus.IDLE)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        # Short, because the heartbeat thread refreshes it during the job: a dead worker's entry in
        # rq's started registry then expires in seconds, not after the whole job timeout.
        return max(self.liveness_ttl, 1) * 2 + 60

    # --- Redis outages ------------------------------------------------------------------------

    def mark_alive(self) -> None:
        queueing.worker_alive_mark(
            name=self.name, ttl=self.liveness_ttl, device=self.device, connection=self.connection
        )

    def ride_out(self, call, doing: str):
        """`call()` until Redis answers, backing off up to one beat; a warm shutdown ends the wait."""
        delay = min(0.25, self.beat_interval)
        while True:
            try:
                result = call()
            except REDIS_DOWN as error:
                self.outage.failed(error, doing)
                if self._stop_requested:
                    raise StopRequested() from None
                time.sleep(delay)
                delay = min(delay * 2, self.beat_interval)
                continue
            self.outage.recovered()
            return result

    def _redis_recovered(self) -> None:
        if self.recovery is not None:
            # Jobs submitted during the outage may never have reached the queue.
            self.recovery.request(full=True, quiet=True)

    def register_again(self) -> None:
        """Back in RQ's worker registry (lost with a Redis that restarted empty): health counts us."""
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()

    def heartbeat(self, timeout: int | None = None, pipeline=None, quiet: bool = False) -> None:
        if pipeline is not None or quiet:
            return super().heartbeat(timeout, pipeline)
        beat = super().heartbeat
        self.ride_out(lambda: beat(timeout), "sending its heartbeat")

    def set_state(self, state: str, pipeline=None) -> None:
        if pipeline is not None:
            return super().set_state(state, pipeline)
        try:
            super().set_state(state)
        except REDIS_DOWN as error:  # rq keeps the state in memory too; the registry copy is cosmetic
            self.outage.failed(error, "recording its state")

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except REDIS_DOWN as error:
            self.outage.failed(error, "checking for `rq suspend`")

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except REDIS_DOWN as error:
            self.outage.failed(error, "cleaning RQ's registries")

    def _pubsub_exception_handler(self, exc, pubsub, pubsub_thread) -> None:
        # rq's command channel (`rq` CLI stop/kill); redis-py resubscribes once Redis is back.
        if isinstance(exc, redis.exceptions.ConnectionError):
            self.outage.failed(exc, "listening for RQ commands")
            time.sleep(self.beat_interval)
        else:
            super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)
