"""The RQ side of jobs: enqueue by dotted path with the JSON serializer, in a fair order.

RQ queues are FIFO. A user who queues ten jobs must not make another user's single job wait
for all ten, so each job is put at its round-robin place: a user's k-th waiting job goes after
every other user's k-th one (a user with a running job already had their turn in round 0).
The reordering runs in Redis as one script, so concurrent submits and workers stay consistent.

Each engine has its queue (`engine_queue_name`): local SDXL jobs wait on `gpu`, ComfyUI jobs on
`comfyui`; the fair order holds within each.
"""

import logging

import django_rq
from django.conf import settings
from redis import Redis
from redis.exceptions import RedisError
from rq.job import Job as RqJob
from rq.serializers import JSONSerializer
from rq.worker import Worker
from rq.worker_registration import WORKERS_BY_QUEUE_KEY

from apps.catalog.request import ENGINE_COMFYUI
from apps.core import liveness
from apps.core.trace_context import job_meta_carrier

logger = logging.getLogger(__name__)

# The worker function, by dotted path: the web process never imports workers or torch.
JOB_FUNCTIONS = {"image": "workers.jobs.image_job_run", "video": "workers.jobs.video_job_run"}
OWNERS_KEY = "seidra:queue:{queue}:owners"  # hash: RQ job id -> owner id, read by the fair insert
CANCEL_KEY = "seidra:job:{job_id}:cancel"  # set by job_cancel, read by the worker at each step

# KEYS: queue list, owners hash. ARGV: job id, owner id, owners with a running job...
# Walks the queue once, giving each waiting job its round (how many jobs of the same owner are
# ahead of it, plus one if that owner has a job running), and moves the new job just before the
# first job of a later round that comes after the owner's own last job (each user stays FIFO).
_FAIR_INSERT = """
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local me, owner = ARGV[1], ARGV[2]
local base = {}
for i = 3, #ARGV do base[ARGV[i]] = 1 end
local owners, mine, last_mine, present = {}, base[owner] or 0, 0, false
for i, id in ipairs(ids) do
  if id == me then
    present = true
  else
    owners[i] = redis.call('HGET', KEYS[2], id) or ('?' .. id)
    if owners[i] == owner then mine = mine + 1; last_mine = i end
  end
end
if not present then return -1 end
local seen = {}
for i, id in ipairs(ids) do
  if id ~= me then
    local o = owners[i]
    local round = (seen[o] or base[o] or 0)
    seen[o] = round + 1
    if i > last_mine and round > mine then
      redis.call('LREM', KEYS[1], 1, me)
      redis.call('LINSERT', KEYS[1], 'BEFORE', id, me)
      return i - 1
    end
  end
end
return #ids - 1
"""


# KEYS: queue list, RQ's set of the queue's workers. ARGV: liveness key prefix and suffix, RQ's
# worker key prefix, job ids... Returns the number of live workers of the queue (registered in RQ
# and with a fresh liveness key, as the health check counts them), then each job's 0-based index
# in the queue (-1: not in it). One round trip however many jobs are asked about.
_QUEUE_PLACES = """
local index = {}
for i, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do index[id] = i - 1 end
local live = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local name = string.sub(key, #ARGV[3] + 1)
  if redis.call('EXISTS', ARGV[1] .. name .. ARGV[2]) == 1 then live = live + 1 end
end
local result = {live}
for i = 4, #ARGV do result[#result + 1] = index[ARGV[i]] or -1 end
return result
"""


def engine_queue_name(engine: str) -> str:
    """The RQ queue of an engine's jobs: local SDXL jobs need a GPU worker; ComfyUI jobs a `comfyui`
    worker, which needs neither torch nor a GPU (it drives remote servers). Video jobs (engines
    `local-motion` and `sadtalker`) wait on `gpu` too: a portrait to generate needs the SDXL
    pipeline that worker keeps loaded, and the lip-sync shares the GPU box's time."""
    return settings.SEIDRA_COMFYUI_QUEUE if engine == ENGINE_COMFYUI else settings.SEIDRA_GPU_QUEUE


def job_queue_names() -> tuple[str, ...]:
    return (settings.SEIDRA_GPU_QUEUE, settings.SEIDRA_COMFYUI_QUEUE)


def job_queue(name: str, connection: Redis | None = None) -> django_rq.queues.DjangoRQ:
    return django_rq.get_queue(name, serializer=JSONSerializer, connection=connection)


def gpu_queue(connection: Redis | None = None) -> django_rq.queues.DjangoRQ:
    return job_queue(settings.SEIDRA_GPU_QUEUE, connection=connection)


def redis_connection() -> Redis:
    return django_rq.get_connection(settings.SEIDRA_GPU_QUEUE)


def owners_key(queue_name: str | None = None) -> str:
    return OWNERS_KEY.format(queue=queue_name or settings.SEIDRA_GPU_QUEUE)


def job_enqueue(*, job_id: str, kind: str, owner_id: int, running_owner_ids: list[int], engine: str) -> int:
    """Push the job on its engine's queue at its fair place; returns its 0-based position (-1: already taken).

    The RQ job id is the Job's id, so a second enqueue of the same job replaces its queue entry
    instead of adding one, and the worker's start transition refuses a job that is not QUEUED.
    """
    queue = job_queue(engine_queue_name(engine))
    connection = queue.connection
    connection.hset(owners_key(queue.name), job_id, str(owner_id))
    queue.remove(job_id)  # a job re-queued by recovery must not appear twice
    queue.enqueue_call(
        JOB_FUNCTIONS[kind],
        args=[job_id],
        job_id=job_id,
        timeout=settings.SEIDRA_JOB_TIMEOUT,
        result_ttl=settings.SEIDRA_RQ_RESULT_TTL,
        failure_ttl=settings.SEIDRA_RQ_RESULT_TTL,
        description=f"{kind} job {job_id}",
        # The submitting request's id and trace context, for the worker's log lines and job span.
        meta=job_meta_carrier(),
    )
    script = connection.register_script(_FAIR_INSERT)
    return int(script(keys=[queue.key, owners_key(queue.name)], args=[job_id, owner_id, *running_owner_ids]))


def queue_places(*, job_ids: list[str], queue_name: str) -> tuple[dict[str, int], int]:
    """Each job's 0-based index in the queue (absent: not waiting in it, e.g. being taken) and
    the number of live workers of the queue, read in one round trip."""
    queue = job_queue(queue_name)
    script = queue.connection.register_script(_QUEUE_PLACES)
    alive_prefix, alive_suffix = liveness.WORKER_ALIVE_KEY.split("{name}")
    workers_key = WORKERS_BY_QUEUE_KEY % queue.name
    live, *indexes = script(
        keys=[queue.key, workers_key], args=[alive_prefix, alive_suffix, Worker.redis_worker_namespace_prefix, *job_ids]
    )
    places = {job_id: int(index) for job_id, index in zip(job_ids, indexes, strict=True) if int(index) >= 0}
    return places, int(live)


def job_dequeue(*, job_id: str) -> bool:
    """Take a waiting job off the queue; True when it was still there (no worker has it).

    With Redis unreachable the entry stays: the row already says why it must not run, and the
    worker's start transition refuses a job that is not QUEUED."""
    removed = 0
    try:
        for name in job_queue_names():  # two LREMs cost less than reading the row for its engine
            queue = job_queue(name)
            removed += queue.connection.lrem(queue.key, 0, job_id)
            queue.connection.hdel(owners_key(queue.name), job_id)
    except RedisError:
        logger.warning("Redis unreachable: job %s stays in its queue until a worker skips it", job_id)
        return False
    if removed:
        try:
            RqJob.fetch(job_id, connection=queue.connection, serializer=JSONSerializer).delete(remove_from_queue=False)
        except Exception:  # noqa: BLE001 - the hash may already be gone; the queue entry is what mattered
            pass
    return bool(removed)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def queued_job_ids(queue_name: str | None = None) -> list[str]:
    """Waiting jobs of one queue, or of every job queue."""
    names = [queue_name] if queue_name else job_queue_names()
    return [_text(job_id) for name in names for job_id in job_queue(name).get_job_ids()]


def started_job_ids() -> set[str]:
    """Jobs a worker has taken from a queue (RQ's started registry plus its intermediate queue)."""
    ids: set[str] = set()
    for name in job_queue_names():
        queue = job_queue(name)
        ids.update(queue.started_job_registry.get_job_ids(cleanup=False))
        ids.update(_text(item) for item in queue.connection.lrange(f"{queue.key}:intermediate", 0, -1))
    return ids


def cancel_flag_set(*, job_id: str) -> None:
    """The flag covers a worker that starts the job later; the message wakes the one running it now.

    Both are a fast path: the row's `cancel_requested`, written first by job_cancel, is what the
    worker reads every SEIDRA_CANCEL_CHECK_SECONDS when Redis lost them (outage, restart)."""
    key = CANCEL_KEY.format(job_id=job_id)
    try:
        connection = redis_connection()
        connection.set(key, "1", ex=settings.SEIDRA_JOB_TIMEOUT + 600)
        connection.publish(key, "1")
    except RedisError:
        logger.warning("Redis unreachable: job %s will see its cancel flag in the database", job_id)


def cancel_flag_is_set(*, job_id: str, connection: Redis | None = None) -> bool:
    return bool((connection or redis_connection()).exists(CANCEL_KEY.format(job_id=job_id)))


def cancel_flag_clear(*, job_id: str) -> None:
    try:
        redis_connection().delete(CANCEL_KEY.format(job_id=job_id))
    except RedisError:  # the key expires on its own (SEIDRA_JOB_TIMEOUT + 600 s)
        logger.warning("Redis unreachable: the cancel flag of job %s expires on its own", job_id)


# --- Worker liveness and the Redis dataset's epoch (apps/core/liveness.py holds the key names).


def worker_alive_mark(*, name: str, ttl: int, device: str = "", connection: Redis | None = None) -> None:
    liveness.worker_alive_mark(connection or redis_connection(), name=name, ttl=ttl, device=device)


def worker_alive_clear(*, name: str, connection: Redis | None = None) -> None:
    liveness.worker_alive_clear(connection or redis_connection(), name=name)


def worker_is_alive(*, name: str) -> bool:
    return name in workers_alive(names=[name])


def workers_alive(*, names) -> set[str]:
    return liveness.workers_alive(redis_connection(), names)


def worker_rq_heartbeat_age(*, name: str) -> float | None:
    return liveness.rq_heartbeat_age(redis_connection(), name=name)


def redis_epoch(connection: Redis | None = None) -> tuple[str, float]:
    return liveness.redis_epoch(connection or redis_connection())


def owners_prune(*, keep: set[str]) -> int:
    """Forget owners of jobs that are no longer waiting (taken, cancelled or lost)."""
    connection, pruned = redis_connection(), 0
    for name in job_queue_names():
        stale = [job_id for job_id in connection.hkeys(owners_key(name)) if job_id.decode() not in keep]
        pruned += connection.hdel(owners_key(name), *stale) if stale else 0
    return pruned
