"""The shared-state gauges of /metrics are read at scrape time, and a Redis outage leaves the Redis
ones out instead of failing the scrape (the database's running jobs stay)."""

import pytest
from django.test import Client

from apps.jobs.services import job_create
from tests.support.metrics import metric_names, sample_value
from workers.tests.test_worker import QUICK


def scrape() -> str:
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_leaves_the_queue_gauges_out_and_the_scrape_answers(tiny_model, user_factory, redis_outage):
    job_create(owner=user_factory(), parameters=QUICK)
    page = scrape()
    assert sample_value(page, "seidra_queue_depth", queue="gpu") == 1
    assert sample_value(page, "seidra_queue_depth", queue="comfyui") == 0

    redis_outage.redis.kill()
    page = scrape()
    assert "seidra_queue_depth" not in metric_names(page)
    assert "seidra_workers_alive" not in metric_names(page)
    assert "# TYPE seidra_jobs_running gauge" in page  # read from the database, which is up

    redis_outage.redis.restart()  # empty: the queue entry is gone until a worker's reconcile
    assert sample_value(scrape(), "seidra_queue_depth", queue="gpu") == 0
