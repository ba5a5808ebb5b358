import pytest
from django.utils import translation

from tests.support.model_files import catalog_write, lora_entry


@pytest.fixture
def models_dir(settings, tmp_path):
    settings.SEIDRA_MODELS_DIR = tmp_path / "models"
    return settings.SEIDRA_MODELS_DIR


@pytest.fixture
def test_catalog(settings, tmp_path):
    """A catalog with one LoRA, 'ink-wash', so the sync's enrichment can be seen."""
    path = catalog_write(
        tmp_path / "catalog.json",
        [
            lora_entry(
                "ink-wash",
                style="fantasy",
                trigger_words=["ink wash", "sumi-e"],
                default_weight=0.6,
                license="Apache-2.0",
            )
        ],
    )
    settings.SEIDRA_CATALOG_FILE = path
    return path


@pytest.fixture(autouse=True)
def _english():
    """A request made in French leaves French active in this thread; messages are asserted in English."""
    with translation.override("en"):
        yield
