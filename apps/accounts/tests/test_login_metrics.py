"""Failed logins and lockouts show on /metrics: every failure counts, and every login a lock refuses
(the 429s) counts as a lockout."""

import pytest
from django.test import Client

from tests.support.metrics import sample_value

PASSWORD = "a-long-test-passphrase"


def login_counts() -> tuple[float, float]:
    page = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    return (
        sample_value(page, "seidra_login_failures_total") or 0,
        sample_value(page, "seidra_login_lockouts_total") or 0,
    )


@pytest.mark.django_db
def test_wrong_passwords_count_as_failures_and_the_refusals_as_lockouts(api_client, user_factory, settings):
    user_factory("carol", PASSWORD)
    failures, lockouts = login_counts()
    attempts = settings.AXES_FAILURE_LIMIT + 2
    statuses = [
        api_client.post("/api/auth/token/", {"username": "carol", "password": "wrong"}, format="json").status_code
        for _ in range(attempts)
    ]
    assert 429 in statuses
    assert login_counts() == (failures + attempts, lockouts + statuses.count(429))
