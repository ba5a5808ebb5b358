"""NSFW scoring in the worker: the real NudeNet detector on generated images, in real worker
processes started with the settings an operator would give them (environment variables)."""

import numpy
import pytest
from nudenet import NudeDetector
from PIL import Image, ImageDraw

from apps.gallery.models import Media
from apps.jobs.models import JobStatus
from apps.jobs.services import job_create
from workers.nsfw.detector import EXPOSED_LABELS, nsfw_verdict, verdict_from_detections
from workers.tests.test_worker import QUICK, SLOW_MACHINE_TIMEOUT, status_of, wait_for


def _picture() -> Image.Image:
    image = Image.new("RGB", (256, 256), (224, 180, 150))
    draw = ImageDraw.Draw(image)
    draw.ellipse((64, 40, 192, 200), fill=(236, 196, 170))
    draw.ellipse((96, 90, 116, 110), fill=(40, 30, 30))
    draw.ellipse((140, 90, 160, 110), fill=(40, 30, 30))
    return image


def test_the_verdict_is_the_real_detectors_answer_mapped():
    image = _picture()
    detections = NudeDetector().detect(numpy.asarray(image.convert("RGBA")))
    assert nsfw_verdict(image) == verdict_from_detections(detections)


def test_the_score_is_the_likeliest_exposed_part_and_every_label_is_kept_once():
    detections = [  # NudeNet's shape
        {"class": "FACE_FEMALE", "score": 0.91, "box": [1, 2, 3, 4]},
        {"class": "BUTTOCKS_EXPOSED", "score": 0.42, "box": [1, 2, 3, 4]},
        {"class": "FEMALE_BREAST_EXPOSED", "score": 0.61, "box": [1, 2, 3, 4]},
        {"class": "FEMALE_BREAST_EXPOSED", "score": 0.33, "box": [5, 6, 7, 8]},
        {"class": "FEET_EXPOSED", "score": 0.99, "box": [1, 2, 3, 4]},
    ]
    verdict = verdict_from_detections(detections)
    assert verdict.score == 0.61  # a face or bare feet, however sure, do not count
    assert verdict.labels == [
        {"label": "FEET_EXPOSED", "score": 0.99},
        {"label": "FACE_FEMALE", "score": 0.91},
        {"label": "FEMALE_BREAST_EXPOSED", "score": 0.61},
        {"label": "BUTTOCKS_EXPOSED", "score": 0.42},
    ]
    assert verdict_from_detections([]).score == 0.0
    assert "FEET_EXPOSED" not in EXPOSED_LABELS and "FACE_FEMALE" not in EXPOSED_LABELS


def _generated_media(user_factory, worker) -> Media:
    job = job_create(owner=user_factory(), parameters=QUICK)
    wait_for(lambda: status_of(job) in (JobStatus.SUCCEEDED, JobStatus.FAILED), what="the job to end", worker=worker)
    assert job.status == JobStatus.SUCCEEDED, job.error
    return Media.objects.get(job=job)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_threshold_of_zero_flags_the_generated_image(tiny_model, user_factory, worker_process):
    worker = worker_process("w1", SEIDRA_NSFW_DETECTOR="nudenet", SEIDRA_NSFW_THRESHOLD=0).wait_listening()
    media = _generated_media(user_factory, worker)
    assert media.nsfw_score is not None and 0 <= media.nsfw_score <= 1
    assert isinstance(media.nsfw_labels, list)
    assert media.flagged


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_a_threshold_above_one_scores_but_never_flags(tiny_model, user_factory, worker_process):
    worker = worker_process("w1", SEIDRA_NSFW_DETECTOR="nudenet", SEIDRA_NSFW_THRESHOLD=1.01).wait_listening()
    media = _generated_media(user_factory, worker)
    assert media.nsfw_score is not None
    assert not media.flagged


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_detector_none_stores_images_unscored(tiny_model, user_factory, worker_process):
    worker = worker_process("w1", SEIDRA_NSFW_DETECTOR="none", SEIDRA_NSFW_THRESHOLD=0).wait_listening()
    media = _generated_media(user_factory, worker)
    assert media.nsfw_score is None and media.nsfw_labels == [] and not media.flagged


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(SLOW_MACHINE_TIMEOUT)
def test_an_unknown_detector_stops_the_worker_at_start_with_one_clear_line(worker_process):
    worker = worker_process("w1", SEIDRA_NSFW_DETECTOR="clip")
    assert worker.process.wait(timeout=SLOW_MACHINE_TIMEOUT) != 0
    assert "worker: SEIDRA_NSFW_DETECTOR='clip' is not a detector: use auto, nudenet or none." in worker.output()
