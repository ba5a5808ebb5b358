"""Facts kept in Redis that the health check and the job recovery both read.

- Worker liveness: each GPU worker sets `seidra:worker:<name>:alive` every
  SEIDRA_WORKER_HEARTBEAT_INTERVAL seconds with a TTL of SEIDRA_WORKER_HEARTBEAT_TTL seconds, several
  beats, so a beat thread starved of CPU for a while does not make a live worker look dead. A key
  that expired means the worker stopped (killed, host down). Its value is the device the worker
  generates on ("cpu", "cuda:0 (NVIDIA ...)"), empty while it starts, for the home page.
- The dataset epoch: `seidra:redis:epoch` is written once per Redis dataset and never expires. A
  Redis that restarted empty has lost it with every queue entry, RQ worker registration and liveness
  key; the next reader writes a new one, so a process that remembers the old value knows, and a
  missing liveness key means nothing until the new dataset is one TTL old (the workers have had
  time to beat again).
"""

import secrets

from redis import Redis
from rq.utils import utcparse
from rq.worker import Worker

WORKER_ALIVE_KEY = "seidra:worker:{name}:alive"
EPOCH_KEY = "seidra:redis:epoch"


def worker_alive_mark(connection: Redis, *, name: str, ttl: int, device: str = "") -> None:
    connection.set(WORKER_ALIVE_KEY.format(name=name), device, ex=max(int(ttl), 1))


def worker_alive_clear(connection: Redis, *, name: str) -> None:
    connection.delete(WORKER_ALIVE_KEY.format(name=name))


def workers_alive(connection: Redis, names) -> set[str]:
    """The names among `names` whose liveness key is fresh (one round trip)."""
    return set(workers_alive_devices(connection, names))


def workers_alive_devices(connection: Redis, names) -> dict[str, str]:
    """The device of each worker among `names` whose liveness key is fresh ("" while it starts)."""
    names = [name for name in names if name]
    if not names:
        return {}
    values = connection.mget([WORKER_ALIVE_KEY.format(name=name) for name in names])
    return {name: value.decode() for name, value in zip(names, values, strict=True) if value is not None}


def rq_heartbeat_age(connection: Redis, *, name: str) -> float | None:
    """Seconds since the worker's last heartbeat in RQ's own registry (Redis clock); None when RQ
    has no record of it or it registered its death."""
    last, death = connection.hmget(Worker.redis_worker_namespace_prefix + name, "last_heartbeat", "death")
    if not last or death:
        return None
    return redis_now(connection) - utcparse(last.decode()).timestamp()


def redis_now(connection: Redis) -> float:
    seconds, micros = connection.time()
    return seconds + micros / 1_000_000


def redis_epoch(connection: Redis) -> tuple[str, float]:
    """The dataset's epoch and its age in seconds; written now (age 0) when Redis has none."""
    now = redis_now(connection)
    candidate = f"{now:.6f}:{secrets.token_hex(4)}"
    with connection.pipeline() as pipeline:  # MULTI: the first writer wins, everyone reads its value
        pipeline.set(EPOCH_KEY, candidate, nx=True)
        pipeline.get(EPOCH_KEY)
        _, value = pipeline.execute()
    epoch = value.decode() if value else candidate
    return epoch, max(now - float(epoch.split(":", 1)[0]), 0.0)
