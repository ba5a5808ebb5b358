import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files in a folder of its own, so what it finds on disk is its own doing."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
