"""The web process validates scheduler names without importing the engine: both lists must agree."""

from apps.catalog.parameters import SCHEDULERS as WEB_SCHEDULERS
from workers.engines.sdxl.schedulers import SCHEDULERS as ENGINE_SCHEDULERS


def test_the_form_and_api_offer_exactly_the_engine_schedulers():
    assert WEB_SCHEDULERS == {key: label for key, (label, _cls, _kwargs) in ENGINE_SCHEDULERS.items()}
