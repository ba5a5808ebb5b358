"""The step hook's rates: events at most 10 per second, row saves at most 2 per second, the last
step always sent and saved, previews every N steps, cancel seen at the next step."""

import pytest
from PIL import Image

from apps.jobs import events, queueing
from apps.jobs.models import Job, JobStatus
from workers import progress as progress_module
from workers.progress import ProgressReporter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Step:
    """What the engine hands the hook (workers/engines/sdxl/generate.StepProgress), without latents."""

    def __init__(self, step: int, total: int) -> None:
        self.step, self.total, self.cancelled = step, total, False
        self.decoding = None

    def cancel(self) -> None:
        self.cancelled = True

    def preview(self) -> Image.Image:
        return Image.new("RGB", (8, 8), "purple")


@pytest.fixture
def running_job(user_factory):
    user = user_factory()
    return Job.objects.create(owner=user, status=JobStatus.RUNNING, worker_name="w", total_steps=50, parameters={})


@pytest.fixture
def sent(monkeypatch):
    messages: list[dict] = []
    events.event_sender_set(lambda groups, message: messages.append(message))
    yield messages
    events.event_sender_set(None)


@pytest.mark.django_db
def test_fifty_fast_steps_in_one_second_give_ten_events_and_two_saves(running_job, sent, monkeypatch, settings):
    settings.SEIDRA_PREVIEW_EVERY = 10
    clock = FakeClock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    saves = []
    original_save = progress_module.job_progress_save
    monkeypatch.setattr(
        progress_module, "job_progress_save", lambda **kw: saves.append(kw["step"]) or original_save(**kw)
    )
    reporter = ProgressReporter(job=running_job, worker_name="w", connection=queueing.redis_connection())

    for step in range(1, 51):  # 50 steps, 20 ms apart: one second
        clock.now += 0.02
        reporter(Step(step, 50))

    steps = [message["job"]["step"] for message in sent]
    assert steps[-1] == 50 and steps == sorted(steps)
    assert len(steps) <= 11  # 10 per second, plus the last step
    assert saves[-1] == 50 and len(saves) <= 3  # 2 per second, plus the last step
    previews = [message["job"]["preview"] for message in sent if "preview" in message["job"]]
    assert len(previews) == 5 and all(preview.startswith("data:image/jpeg") for preview in previews)
    running_job.refresh_from_db()
    assert running_job.step == 50 and running_job.progress == 1.0
    reporter.close()


@pytest.mark.django_db
def test_the_cancel_flag_stops_the_run_at_the_next_step(running_job, sent):
    reporter = ProgressReporter(job=running_job, worker_name="w", connection=queueing.redis_connection())
    first = Step(1, 50)
    reporter(first)
    assert not first.cancelled
    queueing.cancel_flag_set(job_id=str(running_job.pk))
    assert reporter.cancel_watch.requested.wait(5)  # the pub/sub message reached the worker's thread
    second = Step(2, 50)
    reporter(second)
    assert second.cancelled
    reporter.close()


@pytest.mark.django_db
def test_a_job_taken_over_by_another_worker_stops_here(running_job, sent):
    Job.objects.filter(pk=running_job.pk).update(worker_name="another")
    reporter = ProgressReporter(job=running_job, worker_name="w", connection=queueing.redis_connection())
    step = Step(1, 50)
    reporter(step)
    assert step.cancelled and reporter.lost
    reporter.close()
    running_job.refresh_from_db()
    assert running_job.step == 0  # nothing written over the other worker's progress


@pytest.mark.django_db
def test_the_cancel_checks_around_the_vae_decode_send_nothing_but_see_a_cancel(running_job, sent):
    reporter = ProgressReporter(job=running_job, worker_name="w", connection=queueing.redis_connection())
    last = Step(50, 50)
    reporter(last)
    assert len(sent) == 1
    decode = Step(50, 50)
    decode.decoding = 0
    reporter(decode)
    assert not decode.cancelled and len(sent) == 1  # the last step was sent once; the check adds no event
    queueing.cancel_flag_set(job_id=str(running_job.pk))
    assert reporter.cancel_watch.requested.wait(5)
    before_second_image = Step(50, 50)
    before_second_image.decoding = 1
    reporter(before_second_image)
    assert before_second_image.cancelled
    reporter.close()
