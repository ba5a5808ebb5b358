"""Redis outages and lost workers, with real processes: a redis-server killed and restarted EMPTY on
the same port, `manage.py rqworker gpu` subprocesses, daphne and a real websocket client.

The workers get short beats through their environment; SEIDRA_RECONCILE_INTERVAL and
SEIDRA_QUEUE_GRACE_SECONDS are set far beyond any wait here, so what these tests see can only come
from the per-beat lost-job check and the restart detection, not from the periodic reconcile."""

from datetime import timedelta

import pytest
from django.utils import timezone
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from apps.gallery.models import Media
from apps.jobs.models import JobStatus
from apps.jobs.services import job_cancel, job_create
from tests.support.live_socket import LiveSocket, open_socket
from workers.tests.test_worker import LONG, QUICK, SLOW_MACHINE_TIMEOUT, running_with_progress, status_of, wait_for

TTL, BEAT = 5, 0.5
WORKER_ENV = {
    "SEIDRA_WORKER_HEARTBEAT_TTL": TTL,
    "SEIDRA_WORKER_HEARTBEAT_INTERVAL": BEAT,
    "SEIDRA_CANCEL_CHECK_SECONDS": 1,
    "SEIDRA_RECONCILE_INTERVAL": 3600,
    "SEIDRA_QUEUE_GRACE_SECONDS": 3600,
}
# Long enough to kill (and restart) Redis while it runs; the cancel test needs the longer one.
SLOW = {**LONG, "seed": 11}
RUN = {**LONG, "steps": 30, "seed": 12}


def close_code(socket: ClientConnection) -> int:
    try:
        message = socket.recv(timeout=30)
    except ConnectionClosed as closed:
        return closed.rcvd.code
    raise AssertionError(f"expected a close frame, got a message: {message!r}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_the_worker_rides_out_an_outage_and_runs_the_job_submitted_meanwhile(
    tiny_model, user_factory, redis_outage, api_client
):
    worker = redis_outage.worker("w1", **WORKER_ENV).wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=RUN)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=worker)

    redis_outage.redis.kill()
    assert status_of(job) == JobStatus.RUNNING  # it ends during the outage
    wait_for(lambda: status_of(job) == JobStatus.SUCCEEDED, what="the job to end while Redis is down", worker=worker)
    submitted = job_create(owner=user, parameters=QUICK)  # its push fails: the row waits QUEUED
    assert api_client.get("/api/health").json()["redis"]["status"] == "error"

    redis_outage.redis.restart()  # EMPTY: the queue entry, RQ's registry and the liveness keys are gone
    # Pushed again by the worker that noticed the new dataset, not by the (one hour) grace period.
    wait_for(lambda: status_of(submitted) == JobStatus.SUCCEEDED, what="the job submitted during the outage",
             worker=worker)  # fmt: skip
    assert worker.process.poll() is None, worker.output()
    assert "unhandled exception" not in worker.output()
    assert Media.objects.filter(job=job).count() == RUN["batch_size"]
    assert Media.objects.filter(job=submitted).count() == 1
    # RQ's registry was lost with the data: the worker registers again (within a beat) and health counts it.
    wait_for(lambda: api_client.get("/api/health").json()["workers"] == {"status": "ok", "count": 1},
             what="health to count the worker again", worker=worker)  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_cancel_after_a_redis_restart_stops_the_job(tiny_model, user_factory, redis_outage):
    worker = redis_outage.worker("w1", **WORKER_ENV).wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=SLOW)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=worker)

    redis_outage.redis.kill()  # the cancel listener's subscription drops
    redis_outage.redis.restart()
    assert status_of(job) == JobStatus.RUNNING
    job_cancel(job=job)
    wait_for(lambda: status_of(job) == JobStatus.CANCELLED, what="CANCELLED", worker=worker)
    assert job.step < job.total_steps and not Media.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_socket_open_through_the_outage_gets_the_final_state_once_redis_is_back(
    tiny_model, user_factory, redis_outage
):
    server = redis_outage.daphne(SEIDRA_WS_LAYER_CHECK_SECONDS=BEAT)
    worker = redis_outage.worker("w1", **WORKER_ENV).wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=RUN)
    socket = LiveSocket(server, f"/ws/jobs/?job={job.pk}", user)
    assert socket.next_snapshot(timeout=30)["jobs"][0]["id"] == str(job.pk)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=worker)

    redis_outage.redis.kill()
    wait_for(lambda: status_of(job) == JobStatus.SUCCEEDED, what="the job to end while Redis is down", worker=worker)
    redis_outage.redis.restart()  # job.finished was lost with the outage; the snapshot brings it
    state = socket.next_snapshot(timeout=60)["jobs"][0]
    assert state["status"] == JobStatus.SUCCEEDED and state["eta"] is None
    assert len(state["outputs"]) == RUN["batch_size"]
    socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_handshake_while_redis_is_down_gets_a_close_code_not_a_500(user_factory, redis_outage):
    from apps.core.channel_watch import CLOSE_UNAVAILABLE

    server = redis_outage.daphne()
    user = user_factory()
    redis_outage.redis.kill()
    for path in ("/ws/jobs/", "/ws/notifications/"):
        socket = open_socket(server, path, user)  # a 500 would raise InvalidStatus here
        assert close_code(socket) == CLOSE_UNAVAILABLE
    redis_outage.redis.restart()
    socket = LiveSocket(server, "/ws/jobs/", user)
    assert socket.next_snapshot(timeout=30)["jobs"] == []
    socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_killed_workers_job_runs_again_within_the_liveness_ttl_and_health_drops_it(
    tiny_model, user_factory, redis_outage, api_client
):
    workers = {name: redis_outage.worker(name, **WORKER_ENV).wait_listening() for name in ("w1", "w2")}
    assert api_client.get("/api/health").json()["workers"] == {"status": "ok", "count": 2}
    user = user_factory()
    job = job_create(owner=user, parameters=RUN)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=workers["w1"])
    doomed = workers[job.worker_name]
    rescuer = workers[({"w1", "w2"} - {job.worker_name}).pop()]

    doomed.kill()  # SIGKILL mid-job: no cleanup, its RQ registry entry stays for minutes
    killed_at = timezone.now()

    def running_again():
        job.refresh_from_db()
        return job.attempts == 2 and job.status in (JobStatus.RUNNING, JobStatus.SUCCEEDED)

    wait_for(running_again, what="the job to run again", worker=rescuer)
    # The target: the liveness TTL (the dead worker's key expires) plus 5 s of checks and pickup.
    assert job.worker_name == rescuer.name
    assert job.started - killed_at <= timedelta(seconds=TTL + 5), (job.started - killed_at, rescuer.output())
    assert api_client.get("/api/health").json()["workers"] == {"status": "ok", "count": 1}
    wait_for(lambda: status_of(job) == JobStatus.SUCCEEDED, what="the recovered job", worker=rescuer)
    assert sorted(Media.objects.filter(job=job).values_list("index", flat=True)) == list(range(RUN["batch_size"]))
