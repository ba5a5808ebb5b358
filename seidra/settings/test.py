"""pytest role: a file database that a live ASGI server in another process can share."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env, finalize

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-any-deployment-0123456789"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

# SEIDRA_TEST_DATABASE: sqlite (default) or postgres. With postgres and no DATABASE_URL, the session
# starts its own throw-away PostgreSQL server (seidra/local_postgres.py), as it does Redis.
TEST_DATABASE = os.environ.get("SEIDRA_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise ImproperlyConfigured(f"SEIDRA_TEST_DATABASE: {TEST_DATABASE!r} is not one of sqlite, postgres")
if TEST_DATABASE == "postgres" and not os.environ.get("DATABASE_URL"):
    from seidra.local_postgres import session_postgres_url

    DATABASES = {"default": env.db_url_config(session_postgres_url())}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so the daphne subprocess of the live-server fixture sees the same rows.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SEIDRA_TEST_DB", str(VAR_DIR / "test.sqlite3"))}

# Outputs of test jobs, shared with the worker and daphne subprocesses; never the real media.
MEDIA_ROOT = Path(os.environ.get("SEIDRA_MEDIA_ROOT", str(VAR_DIR / "test-media")))
# Test workers open no metrics port unless a test gives them one: several run at once.
SEIDRA_WORKER_METRICS_PORT = int(os.environ.get("SEIDRA_WORKER_METRICS_PORT", "0"))

STORAGES = {
    "default": STORAGES["default"],  # noqa: F405 - local files unless a test or SEIDRA_STORAGE says s3
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["handlers"] = ["console"]  # noqa: F405 - no log file written by tests
LOGGING["handlers"].pop("file", None)  # noqa: F405

finalize(globals())
WHITENOISE_USE_FINDERS = True  # static files served straight from the source tree
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
