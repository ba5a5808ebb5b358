"""Generation jobs end to end, as a script user sees them: REST submit, then websocket events.

A private stack in a scratch directory (its own redis-server, SQLite file, media and tiny model;
the web server (`python -m seidra.serve`) and one `manage.py rqworker gpu`, as `make run` starts them;
see scratch.py), so the figures never touch
the owner's data. Measured:
- overhead: submit-to-final-event time over the bare warm pipeline call with the same parameters
  (same machine, same run), for a bare call of at least 1 s and of at least 3 s: fixed costs
  (submit, pickup, storing the PNG) weigh less on longer jobs, per-second costs (live events)
  do not;
- pickup latency (submit -> job.started event) and first progress event latency, p50/p95;
- jobs per minute through one worker for 1-step jobs.
"""

import asyncio
import json
import statistics
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import redis
from django.conf import settings

from .scratch import ScratchStack
from .stats import percentile

BENCH_USER = "bench"
WORKER_NAME = "bench-worker"
OVERHEAD_RUNS = 5
LATENCY_RUNS = 20
THROUGHPUT_JOBS = 40
OVERHEAD_CASES = {"bare_at_least_1s": 1.0, "bare_at_least_3s": 3.0}
TARGET_RATIO = 1.05
SIDE = 256


def _stats(values: list[float]) -> dict:
    return {"p50": round(percentile(values, 0.5), 4), "p95": round(percentile(values, 0.95), 4), "n": len(values)}


class Stack(ScratchStack):
    """Redis, the web server and one GPU worker on a scratch database, as `make run` starts them."""

    def __init__(self, scratch: Path) -> None:
        super().__init__(scratch, overrides={"SEIDRA_MAX_QUEUED_PER_USER": str(THROUGHPUT_JOBS + 10)})

    def start(self) -> str:
        """Start everything; returns an access token for the bench user."""
        self.prepare()
        token = self.bench_user_token(BENCH_USER)
        self.spawn_web()
        self.spawn("manage.py", "rqworker", "gpu", "--name", WORKER_NAME)
        # Ready when the web answers and the worker waits for jobs: its engine imported and its
        # start-up reconcile done, so nothing else competes for the CPU while the bench measures.
        connection = redis.Redis.from_url(self.redis.url)

        def ready() -> bool:
            return self.web_answers() and connection.hget(f"rq:worker:{WORKER_NAME}", "state") == b"idle"

        self.wait_until(ready, what="the bench stack")
        return token


def _bare_pipeline_seconds(models_dir: Path, parameters: dict, min_seconds: float) -> tuple[float, int]:
    """The pipeline alone, warm, in this process: steps are raised until one call takes >= min_seconds."""
    from django.test import override_settings

    from apps.catalog.layout import local_model_location_by_name, lora_file
    from apps.catalog.limits import model_limits
    from apps.catalog.request import ImageRequest
    from workers.engines.sdxl.cache import PipelineCache
    from workers.engines.sdxl.generate import generate
    from workers.engines.sdxl.runtime import runtime_from_settings

    with override_settings(SEIDRA_MODELS_DIR=models_dir):
        source = local_model_location_by_name(parameters["model"])
    cache, runtime = PipelineCache(max_size=1), runtime_from_settings(settings)

    def call(steps: int) -> float:
        request = ImageRequest.from_json({**parameters, "steps": steps})
        started = time.perf_counter()
        generate(request, source=source, lora_file=lora_file, cache=cache, runtime=runtime)
        return time.perf_counter() - started

    # The model's own step limit (the demo model's is apps/catalog/limits.DEMO_MODEL_STEPS): the jobs must be accepted.
    most = model_limits(is_demo=source.is_demo).steps[1]
    call(2)  # warm-up: load and first allocations
    call(2)
    steps = 10
    while True:
        median = statistics.median(call(steps) for _ in range(OVERHEAD_RUNS))
        if median >= min_seconds or steps == most:
            return median, steps
        steps = min(most, int(steps * min_seconds * 1.15 / median) + 1)


class Client:
    """A script user: REST with a JWT, and one websocket on /ws/jobs/ with the same token."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.events: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> "Client":
        from websockets.asyncio.client import connect

        self.socket = await connect(
            self.url.replace("http", "ws") + "/ws/jobs/",
            additional_headers={"Authorization": f"Bearer {self.token}"},
            origin=self.url,
        )
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self.reader.cancel()
        await self.socket.close()

    async def _read(self) -> None:
        async for text in self.socket:
            await self.events.put((time.perf_counter(), json.loads(text)))

    def _post(self, parameters: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}/api/generation/image", data=json.dumps(parameters).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    async def submit(self, parameters: dict) -> tuple[float, str]:
        started = time.perf_counter()
        job = await asyncio.to_thread(self._post, parameters)
        return started, job["id"]

    async def times_until_final(self, job_id: str) -> dict[str, float]:
        """Arrival time of the first event of each type for this job, until job.finished."""
        seen: dict[str, float] = {}
        while True:
            arrived, message = await asyncio.wait_for(self.events.get(), timeout=300)
            if message.get("job", {}).get("id") != job_id:
                continue
            seen.setdefault(message["type"], arrived)
            if message["type"] == "job.finished":
                final = message["job"]
                if final["status"] != "SUCCEEDED":
                    raise RuntimeError(f"bench job ended {final['status']}: {final['error']}")
                self.last_final_worker_seconds = (
                    datetime.fromisoformat(final["finished"]) - datetime.fromisoformat(final["started"])
                ).total_seconds()
                return seen


async def _measure(url: str, token: str, cases: dict[str, dict], quick: dict) -> dict:
    async with Client(url, token) as client:
        await client.events.get()  # the connect snapshot
        # Warm the worker (first job loads the model), then time full jobs one at a time.
        started, job_id = await client.submit(quick)
        await client.times_until_final(job_id)
        overhead = {}
        for label, parameters in cases.items():
            totals, worker_seconds = [], []
            for _ in range(OVERHEAD_RUNS):
                started, job_id = await client.submit(parameters)
                seen = await client.times_until_final(job_id)
                totals.append(seen["job.finished"] - started)
                worker_seconds.append(client.last_final_worker_seconds)
            overhead[label] = {
                "submit_to_final_seconds_median": round(statistics.median(totals), 4),
                "worker_started_to_finished_seconds_median": round(statistics.median(worker_seconds), 4),
            }

        pickups, first_progress = [], []
        for _ in range(LATENCY_RUNS):
            started, job_id = await client.submit(quick)
            seen = await client.times_until_final(job_id)
            pickups.append(seen["job.started"] - started)
            first_progress.append(seen["job.progress"] - started)

        started = time.perf_counter()
        ids = [(await client.submit(quick))[1] for _ in range(THROUGHPUT_JOBS)]
        for job_id in ids:
            await client.times_until_final(job_id)
        elapsed = time.perf_counter() - started
    return {
        "overhead": overhead,
        "pickup_latency_seconds": _stats(pickups),
        "first_progress_event_latency_seconds": _stats(first_progress),
        "throughput": {
            "jobs": THROUGHPUT_JOBS,
            "seconds": round(elapsed, 3),
            "jobs_per_minute": round(THROUGHPUT_JOBS * 60 / elapsed, 1),
        },
    }


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-jobs-") as scratch:
        stack = Stack(Path(scratch))
        try:
            token = stack.start()
            from workers.engines.sdxl.tiny_model import TINY_MODEL_NAME

            parameters = {
                "prompt": "benchmark", "model": TINY_MODEL_NAME, "width": SIDE, "height": SIDE, "seed": 1,
                "scheduler": "euler_a", "guidance": 7.0,
            }  # fmt: skip
            bare, cases = {}, {}
            for label, min_seconds in OVERHEAD_CASES.items():
                bare[label], steps = _bare_pipeline_seconds(stack.models_dir, parameters, min_seconds)
                cases[label] = {**parameters, "steps": steps}
            quick = {**parameters, "width": 32, "height": 32, "steps": 1}
            measured = asyncio.run(_measure(stack.url, token, cases, quick))
        finally:
            stack.stop()
    for label, figures in measured["overhead"].items():
        ratio = figures["submit_to_final_seconds_median"] / bare[label]
        figures.update(
            steps=cases[label]["steps"],
            bare_pipeline_seconds_median=round(bare[label], 4),
            ratio=round(ratio, 4),
            within_target=ratio <= TARGET_RATIO,
        )
    return {
        "parameters": {**parameters, "preview_every": settings.SEIDRA_PREVIEW_EVERY},
        "overhead_target_ratio": TARGET_RATIO,
        **measured,
    }
