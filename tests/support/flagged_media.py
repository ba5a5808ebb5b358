"""Finished jobs with stored outputs, scored as the worker's NSFW detector would (workers/nsfw),
for tests of the display preference and the moderation desk that need no worker."""

from django.utils import timezone
from PIL import Image

from apps.gallery.models import Media
from apps.gallery.services import NsfwVerdict, media_store_image
from apps.jobs.models import Job, JobStatus

EXPOSED = [{"label": "FEMALE_BREAST_EXPOSED", "score": 0.91}, {"label": "FACE_FEMALE", "score": 0.8}]


def finished_job_with_outputs(owner, *, verdicts: list[NsfwVerdict | None], prompt: str = "a test image") -> Job:
    """A SUCCEEDED job whose outputs carry these verdicts (None: unscored), one image each."""
    now = timezone.now()
    job = Job.objects.create(
        owner=owner, status=JobStatus.SUCCEEDED, progress=1.0, started=now, finished=now,
        parameters={"prompt": prompt, "seed": 1, "steps": 1, "width": 32, "height": 32},
    )  # fmt: skip
    for index, verdict in enumerate(verdicts):
        image = Image.new("RGB", (32, 32), (200, 40 * index % 255, 90))
        media_store_image(job=job, index=index, image=image, parameters={"prompt": prompt, "seed": index}, nsfw=verdict)
    return job


def flagged_media_create(owner, *, score: float = 0.91, labels: list | None = None, prompt: str = "flagged") -> Media:
    """One flagged output (score above the default threshold, 0.5) of a new finished job."""
    verdict = NsfwVerdict(score=score, labels=EXPOSED if labels is None else labels)
    job = finished_job_with_outputs(owner, verdicts=[verdict], prompt=prompt)
    media = Media.objects.get(job=job)
    assert media.flagged
    return media
