"""The GPU worker as operators run it (`manage.py rqworker gpu` processes): resident pipelines,
cancellation, heartbeats, SIGTERM, SIGKILL and recovery, several workers, fairness."""

from datetime import timedelta

import pytest
import redis as redis_lib
from django.utils import timezone

from apps.gallery.models import Media
from apps.jobs import queueing
from apps.jobs.models import Job, JobStatus
from apps.jobs.recovery import jobs_reconcile
from apps.jobs.services import job_cancel, job_create
from tests.support.outage import redis_dataset_aged
from tests.support.workers import burst_worker_run, wait_for

QUICK = {"prompt": "a red fox", "width": 32, "height": 32, "steps": 1, "seed": 7}
# A few seconds on two CPU cores with the tiny model: long enough to act while it runs (within the demo
# model's limits, apps/catalog/limits.py: 50 steps, so larger images than 64 x 64 for the same length).
LONG = {"prompt": "a slow job", "width": 96, "height": 96, "steps": 50, "batch_size": 2, "seed": 3}
QUICK_BEATS = {
    "SEIDRA_WORKER_HEARTBEAT_TTL": 2,
    "SEIDRA_WORKER_HEARTBEAT_INTERVAL": 0.5,
    "SEIDRA_RECONCILE_INTERVAL": 1,
}


# Real worker processes on a loaded two-core machine: starting one (torch import) and running a
# LONG job can each take minutes, so these tests get more than the suite's 300 s hang guard.
SLOW_MACHINE_TIMEOUT = 900


def status_of(job: Job) -> str:
    job.refresh_from_db()
    return job.status


def running_with_progress(job: Job) -> bool:
    job.refresh_from_db()
    return job.status == JobStatus.RUNNING and job.step >= 1


@pytest.mark.django_db(transaction=True)
def test_one_worker_keeps_its_pipeline_loaded_across_jobs(tiny_model, user_factory):
    from workers.engines.resident import engine_cache

    user = user_factory()
    jobs = [job_create(owner=user, parameters={**QUICK, "seed": seed}) for seed in (1, 2, 3)]
    loads_before = engine_cache().loads
    burst_worker_run()
    assert [status_of(job) for job in jobs] == [JobStatus.SUCCEEDED] * 3
    assert engine_cache().loads - loads_before <= 1  # loaded at most once (zero if an earlier test did)
    assert Media.objects.filter(job__in=jobs).count() == 3


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_queued_job_takes_it_off_the_queue(tiny_model, user_factory):
    user = user_factory()
    job = job_create(owner=user, parameters=QUICK)
    assert str(job.pk) in queueing.queued_job_ids()
    job_cancel(job=job)
    assert status_of(job) == JobStatus.CANCELLED
    assert str(job.pk) not in queueing.queued_job_ids()
    burst_worker_run()
    assert status_of(job) == JobStatus.CANCELLED and not Media.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_cancelling_a_running_job_stops_it_within_a_step(tiny_model, user_factory, worker_process):
    worker = worker_process("w1").wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=LONG)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=worker)
    job_cancel(job=job)
    wait_for(lambda: status_of(job) == JobStatus.CANCELLED, timeout=20, what="CANCELLED", worker=worker)
    assert job.step < job.total_steps and job.stage == "cancelled"
    assert not Media.objects.filter(job=job).exists()
    # The worker goes on with the next job.
    after = job_create(owner=user, parameters=QUICK)
    wait_for(lambda: status_of(after) == JobStatus.SUCCEEDED, what="the next job", worker=worker)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_two_workers_take_two_jobs_at_once_and_no_job_runs_twice(tiny_model, user_factory, worker_process):
    first = worker_process("w1").wait_listening()
    second = worker_process("w2").wait_listening()
    user = user_factory()
    jobs = [job_create(owner=user, parameters=LONG), job_create(owner=user, parameters={**LONG, "seed": 4})]

    def both_running():
        states = [(status_of(job), job.worker_name) for job in jobs]
        return all(status == JobStatus.RUNNING for status, _ in states) and {name for _, name in states}

    assert wait_for(both_running, what="both jobs running", worker=first) == {"w1", "w2"}
    for job in jobs:
        wait_for(lambda job=job: status_of(job) == JobStatus.SUCCEEDED, what="SUCCEEDED", worker=second)
        assert job.attempts == 1
        assert Media.objects.filter(job=job).count() == LONG["batch_size"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_job_longer_than_the_heartbeat_ttl_is_not_taken_for_lost(tiny_model, user_factory, worker_process):
    # Liveness TTL 2 s (4 beats), lost-job checks every beat and reconcile every second in both
    # workers, a job of several seconds: 256 x 256 images (LONG took 1.9 s on an idle machine, under
    # the 2 s TTL, and the tiny model's time per step hardly grows below that size).
    quick_beats = QUICK_BEATS
    longer = {**LONG, "width": 256, "height": 256, "batch_size": 4}
    runner = worker_process("w1", **quick_beats).wait_listening()
    watcher = worker_process("w2", **quick_beats).wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=longer)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=runner)
    holder = job.worker_name
    wait_for(lambda: status_of(job) == JobStatus.SUCCEEDED, what="SUCCEEDED", worker=watcher)
    ttl = timedelta(seconds=QUICK_BEATS["SEIDRA_WORKER_HEARTBEAT_TTL"])
    assert job.finished - job.started > ttl, "the job must outlive the heartbeat TTL for this test to mean anything"
    assert job.attempts == 1 and job.worker_name == holder
    assert Media.objects.filter(job=job).count() == longer["batch_size"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_sigterm_finishes_the_current_job_then_exits(tiny_model, user_factory, worker_process):
    worker = worker_process("w1").wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=LONG)
    waiting = job_create(owner=user, parameters=QUICK)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=worker)
    worker.terminate()
    assert worker.process.wait(timeout=600) == 0, worker.output()
    assert status_of(job) == JobStatus.SUCCEEDED
    assert Media.objects.filter(job=job).count() == LONG["batch_size"]
    assert status_of(waiting) == JobStatus.QUEUED  # left for the next worker
    assert not queueing.worker_is_alive(name="w1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_killed_worker_job_is_recovered_and_completed_exactly_once(tiny_model, user_factory, worker_process):
    quick_beats = QUICK_BEATS
    doomed = worker_process("w1", **quick_beats).wait_listening()
    user = user_factory()
    job = job_create(owner=user, parameters=LONG)
    wait_for(lambda: running_with_progress(job), what="the job to run", worker=doomed)
    doomed.kill()  # SIGKILL mid-job: no cleanup at all
    assert status_of(job) == JobStatus.RUNNING and job.worker_name == "w1"

    rescuer = worker_process("w2", **quick_beats).wait_listening()
    wait_for(lambda: status_of(job) == JobStatus.SUCCEEDED, what="recovered job", worker=rescuer)
    assert job.attempts == 2 and job.worker_name == "w2"
    outputs = Media.objects.filter(job=job)
    assert sorted(outputs.values_list("index", flat=True)) == [0, 1]  # each image stored once


@pytest.mark.django_db(transaction=True)
def test_a_job_lost_twice_fails_with_worker_lost(tiny_model, user_factory):
    user = user_factory()
    job = job_create(owner=user, parameters=QUICK)
    queueing.job_dequeue(job_id=str(job.pk))
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker_name="gone", attempts=2)
    redis_dataset_aged(queueing.redis_connection(), seconds=3600)  # not a Redis that just restarted
    report = jobs_reconcile()
    assert report.failed_lost == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error.startswith("Worker lost")
    assert user.notifications.filter(title="Your job failed").exists()


@pytest.mark.django_db(transaction=True)
def test_jobs_queued_before_redis_lost_its_data_are_run_after_recovery(tiny_model, user_factory, redis_url, manage):
    user = user_factory()
    jobs = [job_create(owner=user, parameters={**QUICK, "seed": seed}) for seed in (1, 2)]
    redis_lib.Redis.from_url(redis_url).flushdb()  # Redis restarted empty
    assert queueing.queued_job_ids() == []

    result = manage("reconcile_jobs", "--grace", "0")
    assert result.returncode == 0, result.stderr
    assert "re-queued (missing from Redis): 2" in result.stdout
    assert set(queueing.queued_job_ids()) == {str(job.pk) for job in jobs}
    burst_worker_run()
    assert [status_of(job) for job in jobs] == [JobStatus.SUCCEEDED] * 2
    assert Media.objects.filter(job__in=jobs).count() == 2


@pytest.mark.django_db(transaction=True)
def test_round_robin_a_single_job_waits_for_at_most_one_job_of_a_busy_user(tiny_model, user_factory, settings):
    busy, other = user_factory("busy"), user_factory("other")
    busy_jobs = [job_create(owner=busy, parameters={**QUICK, "seed": seed}) for seed in range(10)]
    single = job_create(owner=other, parameters=QUICK)
    assert queueing.queued_job_ids()[:3] == [str(busy_jobs[0].pk), str(single.pk), str(busy_jobs[1].pk)]

    burst_worker_run()
    order = [job.pk for job in Job.objects.order_by("started")]
    assert order[:3] == [busy_jobs[0].pk, single.pk, busy_jobs[1].pk]
    assert order[3:] == [job.pk for job in busy_jobs[2:]]  # each user's own jobs stay in order


@pytest.mark.django_db(transaction=True)
def test_round_robin_counts_a_running_job_as_that_users_turn(tiny_model, user_factory):
    busy, other = user_factory("busy"), user_factory("other")
    first = job_create(owner=busy, parameters=QUICK)
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING, worker_name="w")  # as if taken
    queueing.job_dequeue(job_id=str(first.pk))
    later = [job_create(owner=busy, parameters=QUICK) for _ in range(3)]
    single = job_create(owner=other, parameters=QUICK)
    assert queueing.queued_job_ids()[0] == str(single.pk)
    assert queueing.queued_job_ids()[1:] == [str(job.pk) for job in later]


@pytest.mark.django_db
def test_the_eleventh_queued_job_is_refused_with_429(tiny_model, user_factory):
    from apps.core.errors import SeidraError

    user = user_factory()
    for _ in range(10):
        job_create(owner=user, parameters=QUICK)
    with pytest.raises(SeidraError) as refused:
        job_create(owner=user, parameters=QUICK)
    assert refused.value.status == 429 and "10 jobs waiting" in refused.value.message
    assert Job.objects.filter(owner=user).count() == 10


def _running_elsewhere(user, *, worker_name: str, started_ago: float) -> Job:
    job = job_create(owner=user, parameters=QUICK)
    queueing.job_dequeue(job_id=str(job.pk))
    started = timezone.now() - timedelta(seconds=started_ago)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker_name=worker_name, started=started, attempts=1)
    redis_dataset_aged(queueing.redis_connection(), seconds=3600)  # not a Redis that just restarted
    return job


@pytest.mark.django_db(transaction=True)
def test_a_lost_job_is_reported_with_its_workers_name(tiny_model, user_factory, caplog):
    job = _running_elsewhere(user_factory(), worker_name="gpu-host-7", started_ago=3600)
    with caplog.at_level("WARNING", logger="apps.jobs.recovery"):
        report = jobs_reconcile()
    assert report.requeued_lost == [str(job.pk)] and status_of(job) == JobStatus.QUEUED
    assert "worker gpu-host-7 is gone" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_job_just_started_is_never_taken_for_lost(tiny_model, user_factory, settings):
    # Its worker marked itself alive as it took the job: a missing key this early means a starved
    # or restarting beat, not a dead worker.
    job = _running_elsewhere(user_factory(), worker_name="w1", started_ago=settings.SEIDRA_WORKER_HEARTBEAT_TTL / 2)
    assert jobs_reconcile().changed == 0
    assert status_of(job) == JobStatus.RUNNING and job.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_rq_saw_beating_is_not_taken_for_lost(tiny_model, user_factory, redis_url):
    from rq import Worker

    job = _running_elsewhere(user_factory(), worker_name="w1", started_ago=3600)
    registered = Worker(["gpu"], connection=redis_lib.Redis.from_url(redis_url), name="w1")
    registered.register_birth()  # its last heartbeat is now; only its liveness key is missing
    assert jobs_reconcile().changed == 0
    assert status_of(job) == JobStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_right_after_redis_restarted_empty_no_running_job_is_taken_for_lost(tiny_model, user_factory, manage):
    job = _running_elsewhere(user_factory(), worker_name="w1", started_ago=3600)
    queueing.redis_connection().flushdb()  # restarted empty: every liveness key is gone, live or not
    result = manage("reconcile_jobs")
    assert result.returncode == 0, result.stderr
    assert "re-queued after a lost worker: 0" in result.stdout
    assert status_of(job) == JobStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_reconcile_right_after_redis_restarted_empty_pushes_waiting_jobs_without_the_grace(
    tiny_model, user_factory, manage
):
    job = job_create(owner=user_factory(), parameters=QUICK)
    queueing.redis_connection().flushdb()  # the job is seconds old, far within the 30 s grace
    result = manage("reconcile_jobs")
    assert result.returncode == 0, result.stderr
    assert "re-queued (missing from Redis): 1" in result.stdout
    assert queueing.queued_job_ids() == [str(job.pk)]


def test_a_liveness_ttl_shorter_than_three_beats_is_refused_at_start(manage):
    result = manage("check", env={"SEIDRA_WORKER_HEARTBEAT_TTL": "2", "SEIDRA_WORKER_HEARTBEAT_INTERVAL": "1"})
    assert result.returncode != 0
    assert "SEIDRA_WORKER_HEARTBEAT_TTL must be at least 3 x SEIDRA_WORKER_HEARTBEAT_INTERVAL" in result.stderr
