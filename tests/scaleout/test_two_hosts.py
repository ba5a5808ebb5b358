"""Two hosts, as issue 14 runs SEIDRA: the web (daphne) and two GPU workers, each process with its own
media folder and the workers each with their own models folder: no shared disk. They share only
PostgreSQL, Redis and the S3 server (moto's, over HTTP). Two users submit through the API with their
tokens; the jobs run on both workers, a worker killed mid-job is recovered by the other, every output
reaches its owner through the web's presigned redirect and nobody else, and nothing is stored twice.
"""

import io
import shutil
from pathlib import Path

import pytest
import requests
from django.conf import settings
from PIL import Image

from apps.accounts.services import access_token_create
from apps.gallery.models import Media, MediaKind
from apps.gallery.thumbnails import thumbnail_names
from apps.jobs.models import Job, JobStatus
from apps.jobs.video_inputs import video_audio_name, video_character_name
from tests.support.asgi_server import DaphneServer
from tests.support.video_inputs import astronaut_png, speech_wav
from tests.support.workers import WorkerProcess, wait_for

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Several processes on a loaded two-core machine: two workers importing torch, three jobs and a recovery.
SLOW_MACHINE_TIMEOUT = 1500
WAIT_SECONDS = 900  # one wait: a worker starting (torch import) or a job running on that machine
# Long enough to act while it runs (a few seconds on two cores), as in workers/tests/test_worker.py.
SIDE = 96
LONG = {"model": "seidra-tiny-sdxl", "width": SIDE, "height": SIDE, "steps": 50, "batch_size": 2}
# Liveness TTL 2 s with a beat every 0.5 s: a killed worker's job is taken back within seconds.
QUICK_BEATS = {
    "SEIDRA_WORKER_HEARTBEAT_TTL": "2",
    "SEIDRA_WORKER_HEARTBEAT_INTERVAL": "0.5",
    "SEIDRA_RECONCILE_INTERVAL": "1",
}
HOSTS = ("host-a", "host-b")
VIDEO_SECONDS = 2.0

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="the two-hosts test shares PostgreSQL between hosts; run it with SEIDRA_TEST_DATABASE=postgres "
        "(a SQLite file cannot be shared by hosts without a shared disk)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(SLOW_MACHINE_TIMEOUT),
]


class Host:
    """One machine's private folders, as a worker host or the web host has them."""

    def __init__(self, root: Path, name: str, *, models_from: Path | None = None) -> None:
        self.name = name
        self.media = root / name / "media"
        self.models = root / name / "models"
        self.media.mkdir(parents=True)
        if models_from is not None:
            shutil.copytree(models_from, self.models)  # its own copy, as `make models` gives each host
        else:
            self.models.mkdir(parents=True)

    def stored_files(self) -> list[Path]:
        return [path for path in self.media.rglob("*") if path.is_file()]


@pytest.fixture
def two_hosts(tmp_path, tiny_model, tiny_models_dir, redis_url, s3_server, s3_bucket):
    """The web on its own host and a worker on each of two others; yields (web url, {name: worker}, hosts)."""
    shared = s3_server.env_for(s3_bucket)
    web_host = Host(tmp_path, "web-host")
    web = DaphneServer(
        redis_url=redis_url,
        extra_env={**shared, "SEIDRA_MEDIA_ROOT": str(web_host.media), "SEIDRA_MODELS_DIR": str(web_host.models)},
    ).start()
    workers, hosts = {}, {"web-host": web_host}
    try:
        for name in HOSTS:
            host = hosts[name] = Host(tmp_path, name, models_from=tiny_models_dir)
            workers[name] = WorkerProcess(
                redis_url=redis_url,
                models_dir=host.models,
                name=name,
                extra_env={**shared, **QUICK_BEATS, "SEIDRA_MEDIA_ROOT": str(host.media)},
            ).start()
        for worker in workers.values():
            worker.wait_listening()
        yield web.url, workers, hosts
    finally:
        for worker in workers.values():
            worker.stop()
        web.stop()


class ApiUser:
    """A script user of the web host: its JWT on every request, redirects not followed."""

    def __init__(self, url: str, user) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {access_token_create(username=user.username, hours=1)}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, allow_redirects=False, timeout=30)

    def video_submit(self, *, character: Path, audio: Path) -> str:
        """A talking-character video, uploaded as multipart to the web host (its inputs go to the bucket)."""
        with character.open("rb") as image, audio.open("rb") as track:
            response = requests.post(
                f"{self.url}/api/generation/video",
                data={"prompt": "a friendly hello", "duration": str(VIDEO_SECONDS)},
                files={"reference_image": image, "audio": track},
                headers=self.headers,
                timeout=60,
            )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def submit(self, **parameters) -> str:
        response = requests.post(
            f"{self.url}/api/generation/image", json={**LONG, **parameters}, headers=self.headers, timeout=30
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]


def rows(job_ids) -> list[Job]:
    return list(Job.objects.filter(pk__in=job_ids))


def running_with_progress(job_id) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.status == JobStatus.RUNNING and job.step >= 1 else None


def png_through_the_web(owner: ApiUser, media_id: str) -> Image.Image:
    """What the owner downloads: the web answers a redirect to a presigned URL of the S3 server."""
    answer = owner.get(f"/api/media/{media_id}/file")
    assert answer.status_code == 302, answer.text
    presigned = answer.headers["Location"]
    assert presigned.startswith(settings.SEIDRA_S3["endpoint_url"]) and "X-Amz-Signature=" in presigned
    download = requests.get(presigned, timeout=30)
    assert download.status_code == 200
    image = Image.open(io.BytesIO(download.content))
    assert image.format == "PNG"
    return image


def stored_names(item: Media) -> set[str]:
    """Every object a media item should have in the bucket: its files and, but for audio, its thumbnails."""
    names = {field.name for field in (item.file, item.poster, item.webm_file) if field.name}
    return names if item.kind == MediaKind.AUDIO else names | set(thumbnail_names(item))


def test_jobs_of_two_users_run_on_two_worker_hosts_sharing_only_postgres_redis_and_s3(
    two_hosts, user_factory, s3_server, s3_bucket, tmp_path
):
    url, workers, hosts = two_hosts
    alice, bob = ApiUser(url, user_factory("alice")), ApiUser(url, user_factory("bob"))

    # 1. One image job each: both workers take one at once, and each job row names the worker that ran it. Bob's
    # video job waits behind them; its inputs, uploaded to the web host, reach a worker through the bucket.
    first = [alice.submit(prompt="a red fox", seed=1), bob.submit(prompt="a blue bird", seed=2)]
    video = bob.video_submit(
        character=astronaut_png(tmp_path / "astronaut.png"),
        audio=speech_wav(tmp_path / "speech.wav", seconds=VIDEO_SECONDS),
    )
    running = wait_for(
        lambda: {job.worker_name for job in rows(first) if job.status == JobStatus.RUNNING} == set(HOSTS),
        what="both jobs running, one on each worker",
        worker=workers,
        timeout=WAIT_SECONDS,
    )
    assert running
    wait_for(
        lambda: all(job.status == JobStatus.SUCCEEDED for job in rows([*first, video])),
        what="the three jobs done",
        worker=workers,
        timeout=WAIT_SECONDS,
    )
    assert {job.worker_name for job in rows(first)} == set(HOSTS)

    # 2. A worker killed mid-job (SIGKILL: no clean-up at all): the other host takes the job back and finishes it.
    doomed_job = alice.submit(prompt="a slow job", seed=3)
    holder = wait_for(
        lambda: running_with_progress(doomed_job), what="the job to run", worker=workers, timeout=WAIT_SECONDS
    ).worker_name
    workers[holder].kill()
    survivor = next(name for name in HOSTS if name != holder)
    wait_for(
        lambda: Job.objects.get(pk=doomed_job).status == JobStatus.SUCCEEDED,
        what="the job recovered",
        worker=workers,
        timeout=WAIT_SECONDS,
    )
    recovered = Job.objects.get(pk=doomed_job)
    assert recovered.attempts == 2 and recovered.worker_name == survivor

    # 3. Every output reaches its owner through the web, at its size, and is a 404 to the other user.
    owners = {first[0]: (alice, bob), first[1]: (bob, alice), doomed_job: (alice, bob)}
    for job_id, (owner, other) in owners.items():
        job = owner.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "SUCCEEDED" and len(job["outputs"]) == LONG["batch_size"]
        for output in job["outputs"]:
            assert png_through_the_web(owner, output["id"]).size == (SIDE, SIDE)
            assert other.get(f"/api/media/{output['id']}/file").status_code == 404
        assert other.get(f"/api/jobs/{job_id}").status_code == 404
    [clip] = [output for output in bob.get(f"/api/jobs/{video}").json()["outputs"] if output["kind"] == "video"]
    answer = bob.get(f"/api/media/{clip['id']}/file")
    assert answer.status_code == 302
    assert requests.get(answer.headers["Location"], timeout=30).headers["Content-Type"] == "video/mp4"
    assert alice.get(f"/api/media/{clip['id']}/file").status_code == 404

    # 4. Nothing stored twice: one row per (job, index), and the bucket holds exactly the rows' files and
    # thumbnails (none left behind by the killed worker); no host kept an output on its own disk.
    media = list(Media.objects.filter(job__in=list(owners)))
    assert sorted((str(item.job_id), item.index) for item in media) == sorted(
        (job_id, index) for job_id in owners for index in range(LONG["batch_size"])
    )
    media += list(Media.objects.filter(job=video))
    assert sorted(item.kind for item in media if str(item.job_id) == video) == [MediaKind.AUDIO, MediaKind.VIDEO]
    # The video job's inputs stay in the bucket until the job is deleted (a retry needs them).
    expected = {video_character_name(video), video_audio_name(video, "wav")}
    expected |= {name for item in media for name in stored_names(item)}
    assert s3_server.keys(s3_bucket) == sorted(expected)
    for name, host in hosts.items():
        assert host.stored_files() == [], f"{name} kept files on its own disk"
