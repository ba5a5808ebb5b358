"""Readiness of each dependency, as ok/error with a reason a person can act on.

Feature apps add the checks of optional engines (`health_check_register` in their AppConfig.ready):
core imports no feature app. Such a check never makes the whole report an error: a down optional
engine leaves the site able to work.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.worker import WorkerStatus

from .liveness import workers_alive_devices


def _ok(**extra) -> dict:
    return {"status": "ok", **extra}


def _error(reason: str, **extra) -> dict:
    return {"status": "error", "reason": reason, **extra}


def database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return _ok(vendor=connection.vendor)
    except Exception as error:  # any driver error means the same thing to the operator
        return _error(f"database unreachable: {error.__class__.__name__}")


def _redis_connection() -> Redis:
    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)


def redis_check() -> dict:
    try:
        _redis_connection().ping()
        return _ok()
    except RedisError as error:
        return _error(
            f"Redis unreachable at REDIS_URL ({error.__class__.__name__}); start redis-server or fix REDIS_URL"
        )


@dataclass(frozen=True)
class LiveWorker:
    name: str
    device: str  # "" while the worker starts (its engine is not loaded yet)
    busy: bool


def live_workers(queue_name: str | None = None) -> list[LiveWorker]:
    """Workers registered in RQ for a queue (the GPU queue by default) whose liveness key is fresh: a
    killed worker's RQ entry outlives it for minutes, its liveness key only
    SEIDRA_WORKER_HEARTBEAT_TTL seconds. Raises RedisError when Redis is unreachable."""
    queue_name = queue_name or settings.SEIDRA_GPU_QUEUE
    connection = _redis_connection()
    registered = [w for w in Worker.all(connection=connection) if queue_name in w.queue_names()]
    devices = workers_alive_devices(connection, [w.name for w in registered])
    return sorted(
        (LiveWorker(name=w.name, device=devices[w.name], busy=w.get_state() == WorkerStatus.BUSY) for w in registered
         if w.name in devices),
        key=lambda worker: worker.name,
    )  # fmt: skip


def workers_check() -> dict:
    queue_name = settings.SEIDRA_GPU_QUEUE
    try:
        alive = live_workers()
    except RedisError:
        return _error("cannot count workers while Redis is unreachable", count=0)
    if not alive:
        return _error(
            f"no worker listens on queue '{queue_name}': start one with `manage.py rqworker {queue_name}`", count=0
        )
    return _ok(count=len(alive))


# Seconds a registered check may give one call to a remote service: a health page must answer fast
# (the services' own timeouts are for real work).
REMOTE_CHECK_TIMEOUT = 2.0

# name -> a function returning that entry of the report (JSON-ready). Registered once per process.
_EXTRA_CHECKS: dict[str, Callable[[], object]] = {}


def health_check_register(name: str, check: Callable[[], object]) -> None:
    """Add `name` to /api/health, answered by `check()`; it must answer fast even when its target is down."""
    _EXTRA_CHECKS[name] = check


def health_report() -> dict:
    checks = {"database": database_check(), "redis": redis_check(), "workers": workers_check()}
    extra = {name: check() for name, check in _EXTRA_CHECKS.items()}
    # Without a worker the site still serves pages and queues jobs: degraded, not down.
    if checks["database"]["status"] == "error" or checks["redis"]["status"] == "error":
        overall = "error"
    elif checks["workers"]["status"] == "error":
        overall = "degraded"
    else:
        overall = "ok"
    return {"status": overall, "version": {"status": "ok", "version": settings.SEIDRA_VERSION}, **checks, **extra}
