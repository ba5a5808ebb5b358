"""Signal receivers of the accounts app."""

from apps.core import metrics


def login_failure_count(sender, credentials=None, request=None, **kwargs) -> None:
    metrics.login_failures.inc()
