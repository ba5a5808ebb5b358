import pytest


@pytest.fixture
def redis_outage(tiny_models_dir, transactional_db, redis_url):
    """A private Redis this test may kill and restart empty, with workers and daphne on it; the
    test's own code (job_create, job_cancel...) talks to it too."""
    from tests.support.outage import OutageLab, point_settings_at_redis

    lab = OutageLab(models_dir=tiny_models_dir)
    point_settings_at_redis(lab.url)
    try:
        yield lab
    finally:
        point_settings_at_redis(redis_url)
        lab.stop()
