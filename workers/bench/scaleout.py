"""Scale-out: jobs per minute through 1, 2 and 4 GPU workers on PostgreSQL + S3, and the web's p95
while they run.

A private stack in a scratch directory, so the figures never touch the owner's data: its own
PostgreSQL (seidra/local_postgres.py), redis-server, S3 server (moto's ThreadedMotoServer over HTTP
on loopback, as the tests use it: the same boto3 requests as MinIO or AWS S3 get, the data in memory),
the web server as `make run` starts it (`python -m seidra.serve`) and `manage.py rqworker gpu`
processes (SEIDRA_STORAGE=s3: outputs and thumbnails go to the bucket, never to a local folder).

For each worker count: the workers start and each loads the model on a warm-up job, then JOBS small
jobs (tiny model, SIDE x SIDE, STEPS steps) are submitted at once through the API and timed until the
last one SUCCEEDED. Meanwhile one client loops over `GET /api/jobs` and `GET /api/media/<id>/file`
(the owner's redirect to a presigned URL; the bytes are not fetched): their p50/p95 in milliseconds.
"""

import os
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import requests

from seidra.local_postgres import PostgresServer
from seidra.local_s3 import S3Server

from .scratch import ScratchStack
from .stats import percentile

WORKER_COUNTS = (1, 2, 4)
JOBS = 40
SIDE = 64
STEPS = 2
BENCH_USER = "bench"
DATABASE = "seidra_bench"
CLIENT_PAUSE_SECONDS = 0.05
TORCH_THREADS_PER_WORKER = 1
WORKER_START_SECONDS = 600
JOBS_SECONDS = 900


def _milliseconds(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "p50": round(percentile(values, 0.5) * 1000, 1),
        "p95": round(percentile(values, 0.95) * 1000, 1),
        "n": len(values),
    }


def _database_create(postgres: PostgresServer) -> str:
    with psycopg.connect(postgres.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return postgres.database_url(DATABASE)


class Stack(ScratchStack):
    """PostgreSQL, Redis, S3, the web server and any number of workers, on a scratch directory."""

    def __init__(self, scratch: Path, *, database_url: str, storage_env: dict[str, str]) -> None:
        super().__init__(
            scratch,
            overrides={
                "DATABASE_URL": database_url,
                **storage_env,
                "SEIDRA_MAX_QUEUED_PER_USER": str(JOBS + max(WORKER_COUNTS) + 10),
                "SEIDRA_WORKER_METRICS_PORT": "0",  # several workers on one machine: no metrics port
            },
        )
        self.workers: list = []

    def workers_start(self, count: int, *, prefix: str) -> list[str]:
        import redis

        names = [f"{prefix}-{number}" for number in range(1, count + 1)]
        # One torch thread per worker, whatever the count, as each has one GPU of its own on GPU hosts: the runs
        # then differ by the number of workers only. (torch takes every core by default; on tiny jobs two
        # threads are slower than one, which made one worker look worse than it is.)
        self.overrides["OMP_NUM_THREADS"] = str(TORCH_THREADS_PER_WORKER)
        try:
            self.workers = [self.spawn("manage.py", "rqworker", "gpu", "--name", name) for name in names]
        finally:
            del self.overrides["OMP_NUM_THREADS"]
        connection = redis.Redis.from_url(self.redis.url)
        self.wait_until(
            lambda: all(connection.hget(f"rq:worker:{name}", "state") == b"idle" for name in names),
            what=f"{count} workers",
            seconds=WORKER_START_SECONDS,
        )
        return names

    def workers_stop(self) -> None:
        for process in self.workers:
            process.terminate()
        for process in self.workers:
            process.wait(timeout=120)
            self.processes.remove(process)
        self.workers = []


class ApiClient:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def submit(self, seed: int) -> str:
        parameters = {"prompt": "scale-out bench", "width": SIDE, "height": SIDE, "steps": STEPS, "seed": seed}
        response = self.session.post(f"{self.url}/api/generation/image", json=parameters, timeout=60)
        response.raise_for_status()
        return response.json()["id"]

    def statuses(self, job_ids: set[str]) -> dict[str, str]:
        found, page = {}, f"{self.url}/api/jobs?page_size=100"
        while page:
            answer = self.session.get(page, timeout=60)
            answer.raise_for_status()
            body = answer.json()
            found.update({job["id"]: job for job in body["results"] if job["id"] in job_ids})
            page = body["next"]
        failed = [job for job in found.values() if job["status"] in ("FAILED", "CANCELLED")]
        if failed:
            raise RuntimeError(f"bench job ended {failed[0]['status']}: {failed[0]['error']}")
        return {job_id: job["status"] for job_id, job in found.items()}

    def wait_done(self, job_ids: set[str]) -> None:
        deadline = time.monotonic() + JOBS_SECONDS
        while sum(status == "SUCCEEDED" for status in self.statuses(job_ids).values()) < len(job_ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(job_ids)} bench jobs did not finish within {JOBS_SECONDS} s")
            time.sleep(0.5)

    def first_output(self, job_id: str) -> str:
        return self.session.get(f"{self.url}/api/jobs/{job_id}", timeout=60).json()["outputs"][0]["id"]


class WebProbe(threading.Thread):
    """One client, back to back with a short pause: the job list, then a media redirect."""

    def __init__(self, url: str, token: str, media_id: str) -> None:
        super().__init__(daemon=True)
        self.client = ApiClient(url, token)
        self.media_id = media_id
        self.times: dict[str, list[float]] = {"api_jobs": [], "media_redirect": []}
        self.errors = 0
        self.stopped = threading.Event()

    def _time(self, label: str, path: str, expected: int) -> None:
        started = time.perf_counter()
        answer = self.client.session.get(self.client.url + path, allow_redirects=False, timeout=60)
        self.times[label].append(time.perf_counter() - started)
        self.errors += answer.status_code != expected

    def run(self) -> None:
        while not self.stopped.is_set():
            self._time("api_jobs", "/api/jobs", 200)
            self._time("media_redirect", f"/api/media/{self.media_id}/file", 302)
            self.stopped.wait(CLIENT_PAUSE_SECONDS)

    def results(self) -> dict:
        self.stopped.set()
        self.join(timeout=120)
        return {
            "get_api_jobs_ms": _milliseconds(self.times["api_jobs"]),
            "media_redirect_ms": _milliseconds(self.times["media_redirect"]),
            "errors": self.errors,
        }


def _measure(stack: Stack, client: ApiClient, token: str, count: int, seed: int) -> dict:
    stack.workers_start(count, prefix=f"scaleout-{count}")
    try:
        # Each worker loads the model on a job of its own (idle workers each take one job as it comes).
        warm = {client.submit(seed + number) for number in range(count)}
        client.wait_done(warm)
        probe = WebProbe(stack.url, token, client.first_output(next(iter(warm))))
        probe.start()
        started = time.perf_counter()
        jobs = {client.submit(seed + count + number) for number in range(JOBS)}
        client.wait_done(jobs)
        elapsed = time.perf_counter() - started
        web = probe.results()
    finally:
        stack.workers_stop()
    return {
        "workers": count,
        "jobs": JOBS,
        "seconds": round(elapsed, 2),
        "jobs_per_minute": round(JOBS * 60 / elapsed, 1),
        "web_while_running": web,
    }


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-scaleout-") as scratch:
        postgres, s3 = PostgresServer().start(), S3Server().start()
        bucket = s3.bucket_create(prefix="seidra-bench")
        stack = Stack(Path(scratch), database_url=_database_create(postgres), storage_env=s3.env_for(bucket))
        try:
            stack.prepare()
            token = stack.bench_user_token(BENCH_USER)
            stack.spawn_web()
            stack.wait_until(stack.web_answers, what="the web server")
            client = ApiClient(stack.url, token)
            runs = [_measure(stack, client, token, count, seed=count * 1000) for count in WORKER_COUNTS]
            objects = len(s3.keys(bucket))
        finally:
            stack.stop()
            s3.stop()
            postgres.stop()
    single = runs[0]["jobs_per_minute"]
    for figures in runs:
        figures["speed_up_over_one_worker"] = round(figures["jobs_per_minute"] / single, 2)
    return {
        "parameters": {
            "side": SIDE,
            "steps": STEPS,
            "jobs_per_run": JOBS,
            "worker_counts": list(WORKER_COUNTS),
            "torch_threads_per_worker": TORCH_THREADS_PER_WORKER,
        },
        "runs": runs,
        "bucket_objects_after": objects,
        "cpu_count": os.cpu_count(),
        "notes": [
            "PostgreSQL: a throw-away server (seidra/local_postgres.py, fsync off); S3: moto's ThreadedMotoServer "
            "over HTTP on loopback (test equipment standing in for MinIO or AWS S3: the same signed boto3 "
            "requests, data in memory, no disk or network latency).",
            f"Every process shares this machine's {os.cpu_count()} CPU cores; each worker runs torch on "
            f"{TORCH_THREADS_PER_WORKER} thread (OMP_NUM_THREADS), so on a CPU-only box jobs per minute stop "
            "growing at the core count and the workers compete with the web; on GPU hosts each worker has its "
            "own GPU.",
            "Jobs are timed from the first submit to the last SUCCEEDED seen through GET /api/jobs (polled "
            "every 0.5 s); each worker ran a warm-up job first (model loaded).",
            f"The web probe is one client pausing {CLIENT_PAUSE_SECONDS} s between pairs of requests.",
        ],
    }
