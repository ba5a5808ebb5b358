"""Races that SQLite hides and PostgreSQL does not (issue 14): simultaneous submits against the
per-user limit, two real workers finishing at once, and the lifecycle's conditional updates
(start, finish, cancel, recovery) racing each other. Every test runs on both databases
(SEIDRA_TEST_DATABASE=postgres for PostgreSQL): SQLite serialises writers with its IMMEDIATE
transactions, PostgreSQL relies on the row locks and the conditional UPDATEs of apps/jobs/services.py.

Racing threads each use their own database connection (Django's are per thread), so the rows
must be committed: every test here uses transactional_db.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image

from apps.accounts.services import access_token_create
from apps.core.errors import SeidraError
from apps.gallery.models import Media
from apps.gallery.services import media_store_image
from apps.jobs import queueing
from apps.jobs.models import Job, JobStatus
from apps.jobs.recovery import ReconcileReport, jobs_recover_lost
from apps.jobs.services import job_cancel, job_cancelled, job_create, job_recover_lost, job_start, job_succeed
from tests.support.outage import redis_dataset_aged
from tests.support.workers import wait_for

QUICK = {"prompt": "a red fox", "width": 32, "height": 32, "steps": 1, "seed": 7}
SUBMIT = "/api/generation/image"
# Real worker processes on a loaded two-core machine: each imports torch (minutes), as in workers/tests.
SLOW_MACHINE_TIMEOUT = 900


def at_once(count: int, action) -> list:
    """`action(index)` in `count` threads released together by a barrier; their results in order.
    Each thread closes its own database connection, so none outlives the test."""
    barrier = threading.Barrier(count)

    def run(index: int):
        try:
            barrier.wait()
            return action(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [future.result() for future in [pool.submit(run, index) for index in range(count)]]


def running_job(owner, *, worker_name: str = "w1") -> Job:
    """A job taken by `worker_name`, as a worker's job_start leaves it."""
    job = job_create(owner=owner, parameters=QUICK)
    queueing.job_dequeue(job_id=str(job.pk))  # the worker popped it
    return job_start(job_id=str(job.pk), worker_name=worker_name)


def store_two_images(job: Job) -> None:
    for index in range(2):
        image = Image.new("RGB", (32, 32), (index * 100, 50, 50))
        media_store_image(job=job, index=index, image=image, parameters={"prompt": "a red fox", "seed": index})


# --- Submits against the per-user queued limit ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_accept_exactly_the_queued_limit(tiny_model, user_factory, settings):
    settings.SEIDRA_MAX_QUEUED_PER_USER = 3
    alice = user_factory("alice")

    def submit(index: int):
        try:
            return job_create(owner=alice, parameters={**QUICK, "seed": index}).status
        except SeidraError as error:
            return error.status

    outcomes = at_once(8, submit)
    assert sorted(outcomes, key=str) == [429] * 5 + [JobStatus.QUEUED] * 3
    assert Job.objects.filter(owner=alice).count() == 3
    assert sorted(queueing.queued_job_ids()) == sorted(str(pk) for pk in Job.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_simultaneous_api_submits_of_two_users_each_get_their_limit_and_429s(
    tiny_model, user_factory, live_url, settings
):
    # The live server runs with the default limit of 10 waiting jobs per user; 13 submits each at once.
    limit, tries = settings.SEIDRA_MAX_QUEUED_PER_USER, 13
    users = [user_factory("alice"), user_factory("bob")]
    tokens = [access_token_create(username=user.username, hours=1) for user in users]

    def submit(index: int) -> tuple[str, int]:
        user = index % len(users)
        response = requests.post(
            f"{live_url}{SUBMIT}", json={**QUICK, "model": tiny_model, "seed": index}, timeout=120,
            headers={"Authorization": f"Bearer {tokens[user]}"},
        )  # fmt: skip
        if response.status_code == 429:
            assert "jobs waiting" in response.json()["message"] and response.headers["Retry-After"]
        return users[user].username, response.status_code

    outcomes = at_once(tries * len(users), submit)
    for user in users:
        statuses = sorted(status for name, status in outcomes if name == user.username)
        assert statuses == [201] * limit + [429] * (tries - limit), user.username
        assert Job.objects.filter(owner=user).count() == limit


# --- Two real workers ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_two_workers_finishing_at_once_store_every_job_once(tiny_model, user_factory, worker_process):
    first = worker_process("w1").wait_listening()
    second = worker_process("w2").wait_listening()
    users = [user_factory("alice"), user_factory("bob")]
    batch = {**QUICK, "batch_size": 2}
    # Queued in one commit, so both workers take one at the same moment and finish about together.
    with transaction.atomic():
        jobs = [job_create(owner=users[index % 2], parameters={**batch, "seed": index}) for index in range(6)]
    for job in jobs:
        wait_for(lambda job=job: Job.objects.get(pk=job.pk).is_final, what=f"job {job.pk} to end", worker=first)
    rows = Job.objects.filter(pk__in=[job.pk for job in jobs])
    assert rows.count() == len(jobs)  # none lost
    assert {row.status for row in rows} == {JobStatus.SUCCEEDED}, second.output()
    assert {row.attempts for row in rows} == {1}  # each ran once
    assert {row.worker_name for row in rows} == {"w1", "w2"}
    for row in rows:
        outputs = Media.objects.filter(job=row)
        assert sorted(outputs.values_list("index", flat=True)) == [0, 1]  # each output stored once
        assert set(outputs.values_list("owner_id", flat=True)) == {row.owner_id}
    assert queueing.queued_job_ids() == []


# --- The lifecycle's conditional updates ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_workers_taking_a_job_while_its_owner_cancels_it_leave_one_consistent_state(tiny_model, user_factory):
    alice = user_factory("alice")
    for _ in range(4):
        job = job_create(owner=alice, parameters=QUICK)
        job_id = str(job.pk)

        def take_or_cancel(index: int, job_id=job_id):
            if index == 0:
                return "cancel", job_cancel(job=Job.objects.get(pk=job_id)).status
            return f"w{index}", job_start(job_id=job_id, worker_name=f"w{index}") is not None

        outcomes = dict(at_once(4, take_or_cancel))
        winners = [name for name, took in outcomes.items() if name != "cancel" and took]
        job.refresh_from_db()
        if job.status == JobStatus.CANCELLED:  # the cancel came first: nobody runs it
            assert winners == [] and job.attempts == 0 and job_id not in queueing.queued_job_ids()
        else:  # one worker took it first; the cancel raised its flag for that worker's next step
            assert job.status == JobStatus.RUNNING and winners == [job.worker_name] and job.attempts == 1
            assert job.cancel_requested and queueing.cancel_flag_is_set(job_id=job_id)
            job_cancelled(job_id=job_id, worker_name=job.worker_name, step=0)
            assert Job.objects.get(pk=job_id).status == JobStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_the_finish_leaves_the_job_succeeded_with_its_outputs_once(tiny_model, user_factory):
    alice = user_factory("alice")
    job = running_job(alice)

    def finish_or_cancel(index: int):
        if index == 0:
            return job_succeed(job_id=str(job.pk), worker_name="w1", store_outputs=store_two_images) is not None
        try:
            return job_cancel(job=Job.objects.get(pk=job.pk)).status
        except SeidraError as error:  # the finish committed first: "already finished"
            return error.status

    finished, cancel = at_once(2, finish_or_cancel)
    job.refresh_from_db()
    assert finished is True and job.status == JobStatus.SUCCEEDED and job.progress == 1.0
    assert cancel in (409, JobStatus.RUNNING, JobStatus.SUCCEEDED)
    assert sorted(Media.objects.filter(job=job).values_list("index", flat=True)) == [0, 1]
    assert alice.notifications.filter(title="Your image is ready").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_recovery_racing_the_finish_either_keeps_the_outputs_or_requeues_never_both(tiny_model, user_factory):
    alice = user_factory("alice")
    for _ in range(4):
        job = running_job(alice)
        job_id = str(job.pk)

        def finish_or_recover(index: int, job_id=job_id):
            if index == 0:
                return job_succeed(job_id=job_id, worker_name="w1", store_outputs=store_two_images) is not None
            return job_recover_lost(job=Job.objects.get(pk=job_id))

        finished, recovered = at_once(2, finish_or_recover)
        job.refresh_from_db()
        outputs = sorted(Media.objects.filter(job=job).values_list("index", flat=True))
        if finished:
            assert recovered == "unchanged" and job.status == JobStatus.SUCCEEDED and outputs == [0, 1]
            assert job_id not in queueing.queued_job_ids()
        else:
            assert recovered == "requeued" and job.status == JobStatus.QUEUED and outputs == []
            assert queueing.queued_job_ids().count(job_id) == 1


def lost_job(owner, *, attempts: int) -> Job:
    """RUNNING on a worker that stopped an hour ago (no liveness key, no RQ heartbeat)."""
    job = running_job(owner, worker_name="gone")
    Job.objects.filter(pk=job.pk).update(attempts=attempts, started=timezone.now() - timedelta(hours=1))
    redis_dataset_aged(queueing.redis_connection(), seconds=3600)  # not a Redis that just restarted
    return job


@pytest.mark.django_db(transaction=True)
def test_three_recoveries_of_the_same_lost_job_requeue_it_once(tiny_model, user_factory):
    job = lost_job(user_factory("alice"), attempts=1)
    reports: list[ReconcileReport] = at_once(3, lambda index: jobs_recover_lost())
    assert sorted(len(report.requeued_lost) for report in reports) == [0, 0, 1]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.worker_name == "" and job.attempts == 1
    assert queueing.queued_job_ids() == [str(job.pk)]


@pytest.mark.django_db(transaction=True)
def test_three_recoveries_of_a_job_lost_twice_fail_it_once(tiny_model, user_factory):
    alice = user_factory("alice")
    job = lost_job(alice, attempts=2)
    reports: list[ReconcileReport] = at_once(3, lambda index: jobs_recover_lost())
    assert sorted(len(report.failed_lost) for report in reports) == [0, 0, 1]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error.startswith("Worker lost")
    assert alice.notifications.filter(title="Your job failed").count() == 1
    assert queueing.queued_job_ids() == []
