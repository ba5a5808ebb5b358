"""What SEIDRA adds to a ComfyUI job: the same tiny prompt sent straight to ComfyUI and through SEIDRA.

A real ComfyUI server (seidra/local_comfyui.py: ComfyUI's source from SEIDRA_TEST_COMFYUI_DIR, the
project's random-weights test checkpoint) and a private SEIDRA stack (scratch.py: its own Redis,
SQLite file and media; the web server and one `manage.py rqworker comfyui`, as `make run` starts
them). Runs alternate between the two paths, each with its own seed (ComfyUI serves an identical
prompt from its cache), after one warm-up run of each (the checkpoint loads on the first):
- direct: `POST /prompt` with the workflow SEIDRA's engine builds for that request, follow
  ComfyUI's websocket until the prompt ends, read `/history/{id}` and fetch the image with `/view`,
  as a careful script would;
- SEIDRA: `POST /api/generation/image`, then the job's events on /ws/jobs/ until `job.finished`
  (the image is then stored as Media with its metadata).
Reported: seconds per run for each path (median, min, max), the ratio of the medians, and the
median of the ratios of each pair of runs (the same moment's machine load for both).
"""

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import redis

from seidra.local_comfyui import COMFYUI_DIR_ENV, ComfyServer, comfy_server_start, comfyui_dir

from .jobs_e2e import BENCH_USER, Client
from .scratch import ScratchStack

RUNS = 5
WORKER_NAME = "bench-comfyui-worker"
SIDE = 64  # the test checkpoint is a `seidra-tiny*` demo model: tiny sizes are allowed
PROMPT = {"prompt": "a lighthouse at dusk", "width": SIDE, "height": SIDE, "steps": 2}
HISTORY_POLL_SECONDS = 0.01
RUN_TIMEOUT_SECONDS = 600


class Stack(ScratchStack):
    """Redis, the web server and one `comfyui` worker on a scratch database, pointed at `server_url`."""

    def __init__(self, scratch: Path, *, server_url: str) -> None:
        super().__init__(scratch, overrides={"SEIDRA_COMFYUI_URL": server_url})

    def start(self) -> str:
        """Start everything; returns an access token for the bench user."""
        self.prepare()
        token = self.bench_user_token(BENCH_USER)
        self.manage("comfyui_refresh")  # the server's checkpoint in the catalog before the first submit
        self.spawn_web()
        self.spawn("manage.py", "rqworker", "comfyui", "--name", WORKER_NAME)
        connection = redis.Redis.from_url(self.redis.url)

        def ready() -> bool:
            return self.web_answers() and connection.hget(f"rq:worker:{WORKER_NAME}", "state") == b"idle"

        self.wait_until(ready, what="the bench stack")
        return token


def _finished(message: dict, prompt_id: str) -> bool:
    """ComfyUI's end of a prompt: `executing` with no node for it (an error ends it too)."""
    data = message.get("data") or {}
    if data.get("prompt_id") != prompt_id:
        return False
    if message.get("type") == "execution_error":
        raise RuntimeError(f"ComfyUI prompt {prompt_id} failed: {data.get('exception_message')}")
    return message.get("type") == "executing" and data.get("node") is None


def _direct_seconds(server: ComfyServer, *, seed: int) -> float:
    """Submit to ComfyUI itself, follow its websocket to the end, read its history, fetch the image:
    seconds from submit to image. The websocket, not polling, so the client takes no CPU from the
    sampler while it waits (on two cores, polling alone slows ComfyUI down)."""
    import json
    import uuid

    import websocket

    from apps.catalog.comfyui_client import ComfyClient
    from apps.catalog.comfyui_workflow import txt2img_workflow
    from apps.catalog.request import ImageRequest

    client, client_id, prompt_id = ComfyClient(server.url, timeout=30), "seidra-bench", str(uuid.uuid4())
    request = ImageRequest(**PROMPT, model=server.checkpoint, seed=seed)
    workflow = txt2img_workflow(request, checkpoint=server.checkpoint, seed=seed, filename_prefix="bench-direct")
    socket = websocket.create_connection(client.ws_url(client_id), timeout=RUN_TIMEOUT_SECONDS)
    try:
        started = time.perf_counter()
        client.prompt_submit(workflow=workflow, prompt_id=prompt_id, client_id=client_id)
        while True:
            opcode, data = socket.recv_data()
            if opcode == websocket.ABNF.OPCODE_TEXT and _finished(json.loads(data), prompt_id):
                break
    finally:
        socket.close()
    while not (history := client.history(prompt_id)):  # written at about the same moment
        time.sleep(HISTORY_POLL_SECONDS)
    entry = history.get(prompt_id, history)
    for output in entry["outputs"].values():
        for image in output.get("images", ()):
            client.view(filename=image["filename"], subfolder=image["subfolder"], folder_type=image["type"])
    return time.perf_counter() - started


async def _seidra_seconds(client: Client, *, model: str, seed: int) -> float:
    started, job_id = await client.submit({**PROMPT, "model": model, "seed": seed})
    seen = await client.times_until_final(job_id)
    return seen["job.finished"] - started


async def _measure(stack_url: str, token: str, server: ComfyServer) -> dict:
    seeds = random.Random().sample(range(1, 2**31), 2 * RUNS + 2)
    direct, through = [], []
    async with Client(stack_url, token) as client:
        await client.events.get()  # the connect snapshot
        await _seidra_seconds(client, model=server.checkpoint, seed=seeds.pop())  # warm-up: the checkpoint loads
        await asyncio.to_thread(_direct_seconds, server, seed=seeds.pop())
        for _ in range(RUNS):  # alternating, so a change in the machine's load hits both paths alike
            direct.append(await asyncio.to_thread(_direct_seconds, server, seed=seeds.pop()))
            through.append(await _seidra_seconds(client, model=server.checkpoint, seed=seeds.pop()))
    return {"direct": direct, "seidra": through}


def _summary(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "runs": [round(value, 3) for value in values],
    }


def run() -> dict:
    source = comfyui_dir()
    if source is None:
        return {
            "skipped": f"{COMFYUI_DIR_ENV} is not set: point it at ComfyUI's source and setup-venv.sh "
            "(../shared/comfyui beside the clone) to measure a ComfyUI job through SEIDRA against the same "
            "prompt sent straight to ComfyUI"
        }
    server = comfy_server_start(source)
    try:
        with tempfile.TemporaryDirectory(prefix="seidra-bench-comfyui-") as scratch:
            stack = Stack(Path(scratch), server_url=server.url)
            try:
                token = stack.start()
                measured = asyncio.run(_measure(stack.url, token, server))
            finally:
                stack.stop()
    finally:
        server.stop()
    direct, seidra = _summary(measured["direct"]), _summary(measured["seidra"])
    return {
        "parameters": {**PROMPT, "model": server.checkpoint, "runs_each": RUNS},
        "direct_seconds": direct,
        "through_seidra_seconds": seidra,
        "overhead_seconds_median": round(seidra["median"] - direct["median"], 3),
        "ratio": round(seidra["median"] / direct["median"], 4),
        # Each SEIDRA run over the direct run just before it: a pair shares the machine's load of the
        # moment, so this one moves less when other work comes and goes on a shared machine.
        "ratio_of_pairs_median": round(
            statistics.median(s / d for s, d in zip(measured["seidra"], measured["direct"], strict=True)), 4
        ),
    }
