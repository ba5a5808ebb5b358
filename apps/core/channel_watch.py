"""Websocket consumers that outlive a channel-layer (Redis) outage.

- A handshake while the layer is unreachable is accepted and closed at once with CLOSE_UNAVAILABLE
  (4503, "try again later"), which pages treat like any dropped socket (they reconnect), instead
  of failing as an HTTP 500.
- Events published while Redis was away are lost (the layer is at most once). Each web process
  probes its layer every SEIDRA_WS_LAYER_CHECK_SECONDS with a message to itself; when a probe gets
  through after failing, or Redis restarted between two probes, every open consumer gets
  `layer_restored()` and sends what it shows again, read from the database. The probe travels
  through the same subscription as the consumers' groups, so once it is back no later event is
  missed.
"""

import asyncio
import logging
import weakref

import redis.asyncio
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

CLOSE_UNAVAILABLE = 4503
LAYER_ERRORS = (ConnectionError, OSError, asyncio.TimeoutError, redis.exceptions.RedisError)


class LayerWatch:
    """One per event loop (channels_redis keeps one connection set per loop)."""

    def __init__(self) -> None:
        self.consumers: weakref.WeakSet = weakref.WeakSet()
        self.task: asyncio.Task | None = None
        self.channel: str | None = None
        self.receiver: asyncio.Task | None = None
        self.pong = asyncio.Event()
        self.sent = 0
        self.received = 0
        self.run_id: str | None = None
        self.redis = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)

    def add(self, consumer) -> None:
        self.consumers.add(consumer)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())

    def discard(self, consumer) -> None:
        self.consumers.discard(consumer)

    async def _run(self) -> None:
        interval = settings.SEIDRA_WS_LAYER_CHECK_SECONDS
        healthy = True
        while self.consumers:
            await asyncio.sleep(interval)
            ok, restarted = await self._probe(timeout=max(interval, 1.0))
            if ok and (not healthy or restarted):
                logger.warning("channel layer back: %d open sockets re-read their state", len(self.consumers))
                for consumer in list(self.consumers):
                    try:
                        await consumer.layer_restored()
                    except Exception:  # one closed socket must not keep the others stale
                        logger.warning("could not refresh a socket after the outage", exc_info=True)
            elif not ok and healthy:
                logger.warning("channel layer unreachable: live events are lost until it is back")
            healthy = ok
        self.task = None

    async def _probe(self, *, timeout: float) -> tuple[bool, bool]:
        """(the layer carried a message to this process, Redis restarted since the last probe)."""
        try:
            run_id = (await asyncio.wait_for(self.redis.info("server"), timeout))["run_id"]
            restarted, self.run_id = self.run_id is not None and run_id != self.run_id, run_id
            layer = get_channel_layer()
            if self.channel is None:
                self.channel = await asyncio.wait_for(layer.new_channel("seidra.layer-probe."), timeout)
                self.receiver = asyncio.ensure_future(self._receive(layer, self.channel))
            self.sent += 1
            self.pong.clear()
            await asyncio.wait_for(layer.send(self.channel, {"type": "probe", "n": self.sent}), timeout)
            await asyncio.wait_for(self._pong_for(self.sent), timeout)
            return True, restarted
        except LAYER_ERRORS:
            return False, False

    async def _pong_for(self, number: int) -> None:
        while self.received < number:
            await self.pong.wait()
            self.pong.clear()

    async def _receive(self, layer, channel: str) -> None:
        while True:
            message = await layer.receive(channel)
            self.received = max(self.received, int(message.get("n", 0)))
            self.pong.set()


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LayerWatch]" = weakref.WeakKeyDictionary()


def layer_watch() -> LayerWatch:
    loop = asyncio.get_running_loop()
    if loop not in _watches:
        _watches[loop] = LayerWatch()
    return _watches[loop]


class LayerOutageMixin:
    """For AsyncJsonWebsocketConsumer subclasses: a close code instead of a 500 while the layer is
    down, and `layer_restored()` (to be defined by the consumer) once it is back."""

    async def __call__(self, scope, receive, send):
        self._handshake_answered = False

        async def tracked_send(message):
            if message.get("type") in ("websocket.accept", "websocket.close"):
                self._handshake_answered = True
            await send(message)

        try:
            return await super().__call__(scope, receive, tracked_send)
        except LAYER_ERRORS as error:
            # channels subscribes the consumer's channel before connect() and its groups in it.
            if self._handshake_answered:
                logger.info("websocket ended by a channel layer error: %s", error)
                return None
            logger.warning("websocket refused while the channel layer is unreachable: %s", error)
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})
            return None
        finally:
            watch = _watches.get(asyncio.get_running_loop())
            if watch is not None:
                watch.discard(self)

    def watch_layer(self) -> None:
        layer_watch().add(self)
