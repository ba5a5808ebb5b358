"""Job events from a worker: sent by one asyncio loop in a background thread.

A denoising step only drops its event in a queue and goes on; the thread sends them in order
through one long-lived channel layer (a new event loop per send, as async_to_sync would make,
costs milliseconds and a Redis connection each time).
"""

import asyncio
import logging
import threading

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


class EventPublisher:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="seidra-events", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._queue: asyncio.Queue = asyncio.Queue()
        self._loop.create_task(self._drain())
        self._ready.set()
        self._loop.run_forever()

    async def _drain(self) -> None:
        failing = False  # during a Redis outage every event fails: say so once, not ten times a second
        while True:
            groups, message = await self._queue.get()
            try:
                layer = get_channel_layer()
                for group in groups:
                    await layer.group_send(group, message)
                if failing:
                    failing = False
                    logger.warning("job events flow again")
            except Exception:  # lossy by design: pages re-read the rows once the layer is back
                if not failing:
                    failing = True
                    logger.warning("could not send %s; events are dropped until Redis answers", message.get("event"),
                                   exc_info=True)  # fmt: skip
            finally:
                self._queue.task_done()

    def send(self, groups: list[str], message: dict) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (groups, message))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event given so far has been handed to Redis."""
        try:
            asyncio.run_coroutine_threadsafe(self._queue.join(), self._loop).result(timeout)
        except TimeoutError:
            logger.warning("job events still unsent after %.0f s", timeout)


_publisher: EventPublisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> EventPublisher:
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            _publisher = EventPublisher()
        return _publisher
