"""Environment for the real processes tests start (manage.py, daphne, the run script)."""

import os

# Set in this process only while Playwright's sync API runs (see conftest.browser); a child
# process must never inherit it (production's check --deploy rightly rejects it).
TEST_PROCESS_ONLY = ("DJANGO_ALLOW_ASYNC_UNSAFE",)


def child_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in TEST_PROCESS_ONLY}
    env.update(extra)
    return env
