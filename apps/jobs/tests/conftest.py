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


@pytest.fixture
def media_root(settings, tmp_path):
    """A video test's own media folder, and the local video engine whatever the environment says
    (the submit tests read the stored inputs there)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEIDRA_SADTALKER_URL = ""
    return settings.MEDIA_ROOT
