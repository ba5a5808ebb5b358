"""The home page's engines block in the states a browser test cannot set up cheaply: a worker still
starting or busy, another whose device is missing, and Redis down."""

import re

import pytest
import redis
from django.test import Client
from rq import Worker
from rq.worker import WorkerStatus

from apps.core.liveness import worker_alive_mark
from tests.support.auth import log_in

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def signed_in(user_factory) -> Client:
    user_factory("alice", PASSWORD)
    client = Client()
    assert log_in(client, "alice", PASSWORD)
    return client


def engines_text(client: Client) -> str:
    page = client.get("/").content.decode()
    engines = page[page.index('data-testid="engines"') : page.index("</section>", page.index('data-testid="engines"'))]
    return " ".join(re.sub(r"<[^>]+>", " ", engines).split())  # the words a person reads


@pytest.mark.django_db
def test_each_live_worker_is_listed_with_its_device_and_state(signed_in, redis_url):
    connection = redis.Redis.from_url(redis_url)
    workers = [Worker(["gpu"], connection=connection, name=name) for name in ("w-busy", "w-new", "w-dead")]
    for worker in workers:
        worker.register_birth()
    try:
        workers[0].set_state(WorkerStatus.BUSY)
        worker_alive_mark(connection, name="w-busy", ttl=30, device="cuda (NVIDIA H200)")
        worker_alive_mark(connection, name="w-new", ttl=30)  # registered, its engine not loaded yet
        text = engines_text(signed_in)  # w-dead is registered in RQ but does not beat: not listed
    finally:
        for worker in workers:
            worker.register_death()
    assert "2 workers online" in text
    assert "w-busy cuda (NVIDIA H200) busy" in text
    assert "w-new starting: loading its engine" in text
    assert "w-dead" not in text and "No worker is running" not in text


@pytest.mark.django_db
def test_redis_down_is_said_instead_of_no_worker(signed_in, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    text = engines_text(signed_in)
    assert "Redis is unreachable" in text and "REDIS_URL" in text
    assert "No worker is running" not in text
