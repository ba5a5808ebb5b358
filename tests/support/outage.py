"""A Redis that a test can kill and bring back EMPTY on the same port, as an outage with a restart
without persistence does, with its own GPU workers and daphne pointed at it."""

import signal
from pathlib import Path

from django.conf import settings

from .asgi_server import DaphneServer
from .redis_server import RedisServer
from .workers import WorkerProcess


def point_settings_at_redis(url: str) -> None:
    """Every setting derived from REDIS_URL (queue, channel layer), and a fresh channel layer."""
    from channels.layers import channel_layers

    from seidra.settings.base import redis_settings

    for name, value in redis_settings(url).items():
        setattr(settings, name, value)
    channel_layers.backends = {}


class RestartableRedis(RedisServer):
    def kill(self) -> None:
        """SIGKILL: no shutdown, every client connection drops at once."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self) -> "RestartableRedis":
        """Same port, empty dataset (the server keeps nothing on disk)."""
        return self.start()


class OutageLab:
    """The processes of one outage test; `stop()` ends them all."""

    def __init__(self, *, models_dir: Path) -> None:
        self.models_dir = models_dir
        self.redis = RestartableRedis().start()
        self.url = self.redis.url
        self.workers: list[WorkerProcess] = []
        self.servers: list[DaphneServer] = []

    def worker(self, name: str, **extra_env) -> WorkerProcess:
        worker = WorkerProcess(redis_url=self.url, models_dir=self.models_dir, name=name, extra_env=extra_env)
        self.workers.append(worker.start())
        return worker

    def daphne(self, **extra_env) -> DaphneServer:
        server = DaphneServer(redis_url=self.url, extra_env={k: str(v) for k, v in extra_env.items()})
        self.servers.append(server.start())
        return server

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for server in self.servers:
            server.stop()
        self.redis.stop()


def redis_dataset_aged(connection, *, seconds: float) -> None:
    """As if Redis had held its data for `seconds` (see apps/core/liveness.py: a younger dataset
    means a restart, when missing liveness keys prove nothing yet)."""
    from apps.core.liveness import EPOCH_KEY, redis_now

    connection.set(EPOCH_KEY, f"{redis_now(connection) - seconds:.6f}:aged")
