"""Which ComfyUI server of the pool takes a job: the healthy one with the shortest queue.

A server that does not answer `GET /queue` is skipped and left out of the choice for
SEIDRA_COMFYUI_RETRY_SECONDS, so the next jobs do not wait on its timeout again. When every
server is left out they are asked anyway (a job fails only if none answers now), and when none
answers the error names every URL tried with its reason. The memory of who is left out is the
worker process's own: each worker learns it again at most once per period.
"""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apps.catalog.comfyui_client import ComfyClient, ComfyError, QueueState
from workers.engines.errors import EngineError


@dataclass(frozen=True)
class ServerChoice:
    client: ComfyClient
    queue: QueueState


class ServerPool:
    def __init__(self, *, timeout: float, retry_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._left_out: dict[str, float] = {}  # url -> when it may be asked again
        self._lock = threading.Lock()

    def left_out(self, url: str) -> bool:
        with self._lock:
            return self._left_out.get(url, float("-inf")) > self.clock()

    def leave_out(self, url: str) -> None:
        with self._lock:
            self._left_out[url] = self.clock() + self.retry_seconds

    def _restore(self, url: str) -> None:
        with self._lock:
            self._left_out.pop(url, None)

    def choose(self, urls: Sequence[str], *, model: str) -> ServerChoice:
        if not urls:
            raise EngineError(
                f"No ComfyUI server lists '{model}': refresh the catalog, or check SEIDRA_COMFYUI_URL "
                "and the server's models folder."
            )
        fresh = [url for url in urls if not self.left_out(url)]
        skipped = [url for url in urls if url not in fresh]
        failures: list[str] = []
        for candidates in (fresh, skipped):
            best: ServerChoice | None = None
            for url in candidates:
                client = ComfyClient(url, timeout=self.timeout)
                try:
                    queue = client.queue()
                except ComfyError as error:
                    self.leave_out(url)
                    failures.append(error.message)
                    continue
                self._restore(url)
                if best is None or queue.length < best.queue.length:
                    best = ServerChoice(client=client, queue=queue)
            if best is not None:
                return best
        # Every URL was tried, and each failure names its URL.
        raise EngineError(f"No ComfyUI server with '{model}' answered: " + " | ".join(failures))


# One per worker process, so what it learned about dead servers outlives a job.
_pool: ServerPool | None = None
_pool_lock = threading.Lock()


def server_pool(*, timeout: float, retry_seconds: float) -> ServerPool:
    global _pool
    with _pool_lock:
        if _pool is None or (_pool.timeout, _pool.retry_seconds) != (timeout, retry_seconds):
            _pool = ServerPool(timeout=timeout, retry_seconds=retry_seconds)
        return _pool
