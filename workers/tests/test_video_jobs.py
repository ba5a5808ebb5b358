"""Talking-character video jobs through the real worker: a `manage.py rqworker gpu` process turns a
queued job into a video and its audio in the gallery, through its named stages; a cancel stops it;
a character without a face (a noise image, or the demo model's random-weights portrait) fails with
the message that says what to do."""

import asyncio
import threading
import time
from pathlib import Path

import pytest
from channels.layers import get_channel_layer

from apps.catalog.video_request import FPS, VIDEO_ENGINE_LABELS, VIDEO_ENGINE_LOCAL
from apps.gallery.models import Media, MediaKind
from apps.jobs.events import user_jobs_group
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import job_cancel
from apps.jobs.video_inputs import video_inputs_dir
from apps.notifications.models import Notification
from tests.support.video_inputs import (
    astronaut_png,
    noise_png,
    speech_wav,
    video_audio_seconds,
    video_frames,
    video_job_submit,
    video_streams,
)
from tests.support.workers import burst_worker_run, wait_for
from workers.video.local_motion.face import NO_FACE

# Starting a worker process (it imports torch) and running a job can each take minutes on a loaded
# two-core machine.
SLOW_MACHINE_TIMEOUT = 900
FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
EVERY_EVENT = {"SEIDRA_PROGRESS_EVENTS_PER_SECOND": 10_000}  # unthrottled: each stage change is seen


def row(job: Job) -> Job:
    job.refresh_from_db()
    return job


class OwnerEvents:
    """The job events of one owner, as their pages receive them, read from the channel layer."""

    def __init__(self, owner_id: int) -> None:
        self.events: list[dict] = []
        self.ready, self.stopped = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._listen(owner_id)), daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "could not subscribe to the owner's job events"

    async def _listen(self, owner_id: int) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(user_jobs_group(owner_id), channel)
        self.ready.set()
        while not self.stopped.is_set():
            try:
                self.events.append(await asyncio.wait_for(layer.receive(channel), 0.5))
            except TimeoutError:
                continue
        await layer.group_discard(user_jobs_group(owner_id), channel)

    def stages(self) -> list[str]:
        """The stages the progress events showed, in order, each once."""
        seen: list[str] = []
        for event in self.events:
            stage = event.get("job", {}).get("stage")
            if event.get("event") == "job.progress" and stage and (not seen or seen[-1] != stage):
                seen.append(stage)
        return seen

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)


@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
@pytest.mark.django_db(transaction=True)
def test_a_video_job_becomes_a_video_and_its_audio_in_the_gallery_through_its_stages(
    worker_process, user_factory, tmp_path
):
    user = user_factory()
    events = OwnerEvents(user.pk)
    worker = worker_process("w1", **EVERY_EVENT)
    # A 2.5 s track for a 3 s video: padded with silence, and the job says so.
    job = video_job_submit(
        owner=user, character=astronaut_png(tmp_path / "astronaut.png"),
        audio=speech_wav(tmp_path / "speech.wav", seconds=2.5), duration=3.0,
    )  # fmt: skip
    wait_for(lambda: row(job).status in FINAL, timeout=SLOW_MACHINE_TIMEOUT - 60, what="the job to end", worker=worker)
    time.sleep(0.5)  # the last events are on their way
    events.close()

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 1.0
    assert events.stages() == ["preparing", "lipsync", "encoding"]
    # What the pages and the API are told once it is done: the video with its WebM, poster and length,
    # and the track as its own output, under the engine's honest label.
    finished = [event["job"] for event in events.events if event.get("event") == "job.finished"][-1]
    outputs = {output["kind"]: output for output in finished["outputs"]}
    assert set(outputs) == {"video", "audio"}
    assert outputs["video"]["url"] and outputs["video"]["webm_url"] and outputs["video"]["poster_url"]
    assert outputs["video"]["duration"] == 3.0 and abs(outputs["audio"]["duration"] - 2.5) < 0.05
    assert finished["engine_label"] == str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_LOCAL])

    video = Media.objects.get(job=job, kind=MediaKind.VIDEO)
    assert video.duration == 3.0 and video.poster and video.webm_file
    assert video.nsfw_score is not None  # scored on its poster, so the moderation desk sees videos too
    mp4 = Path(video.file.path)
    streams = video_streams(mp4)
    assert len(streams) == 2 and streams[0].startswith("Video: h264") and streams[1].startswith("Audio: aac")
    assert abs(len(video_frames(mp4, 256)) / FPS - 3.0) <= 0.1
    assert abs(video_audio_seconds(mp4) - 3.0) <= 0.1
    assert video_streams(Path(video.webm_file.path))[0].startswith("Video: vp9")
    assert video.parameters["engine_label"] == str(VIDEO_ENGINE_LABELS[VIDEO_ENGINE_LOCAL])
    assert video.parameters["audio_fit"] == "padded" and abs(video.parameters["audio_seconds"] - 2.5) < 0.05

    audio = Media.objects.get(job=job, kind=MediaKind.AUDIO)
    assert abs(audio.duration - 2.5) < 0.05
    assert Path(audio.file.path).read_bytes() == (tmp_path / "speech.wav").read_bytes()  # the track as sent
    assert Media.objects.filter(job=job).count() == 2
    # The owner is told in words that fit: a video, not an image.
    assert Notification.objects.get(user=job.owner).title == "Your video is ready"


@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
@pytest.mark.django_db(transaction=True)
def test_cancelling_a_video_job_during_the_lipsync_stops_it_and_stores_nothing(worker_process, user_factory, tmp_path):
    user = user_factory()
    worker = worker_process("w1")
    # The longest video at the larger size: its frames take seconds, time to cancel among them.
    job = video_job_submit(
        owner=user, character=astronaut_png(tmp_path / "astronaut.png"),
        audio=speech_wav(tmp_path / "speech.wav", seconds=30.0), duration=30.0, size=512,
    )  # fmt: skip
    wait_for(
        lambda: row(job).stage == "lipsync" or job.status in FINAL,
        timeout=SLOW_MACHINE_TIMEOUT - 120, what="the lip-sync stage", worker=worker,
    )  # fmt: skip
    assert job.status == JobStatus.RUNNING, job.error
    job_cancel(job=job)
    wait_for(lambda: row(job).status in FINAL, timeout=60, what="the job to end", worker=worker)

    assert job.status == JobStatus.CANCELLED
    assert not Media.objects.filter(job=job).exists()
    assert video_inputs_dir(job.pk).exists()  # kept for a retry until the job is deleted


@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
@pytest.mark.django_db(transaction=True)
def test_a_character_without_a_face_fails_with_the_message_even_a_generated_one(tiny_model, user_factory, tmp_path):
    user = user_factory()
    speech = speech_wav(tmp_path / "speech.wav", seconds=2.0)
    noise = video_job_submit(owner=user, character=noise_png(tmp_path / "noise.png"), audio=speech, duration=2.0)
    # No character given: the demo model paints the portrait, and its random weights paint no face.
    generated = video_job_submit(owner=user, audio=speech, duration=2.0)
    assert generated.parameters["portrait"]["model"] == tiny_model

    burst_worker_run()

    for job in (noise, generated):
        assert row(job).status == JobStatus.FAILED
        assert job.error == NO_FACE == "No face found in the character image: use a front-facing portrait"
        assert not Media.objects.filter(job=job).exists()
