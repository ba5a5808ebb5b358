"""Production role: refuses to start with a missing, published or short SECRET_KEY; HTTPS in front by default."""

from django.core.checks.security.base import SECRET_KEY_MIN_LENGTH, SECRET_KEY_MIN_UNIQUE_CHARACTERS
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SEED_DEFAULT_SECRET_KEY, env, finalize

DEBUG = False
_GENERATE_SECRET_KEY = "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(f"SECRET_KEY is empty: set it to a long random value, e.g. {_GENERATE_SECRET_KEY}")
if SECRET_KEY == SEED_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the published default 'seidra-secret-key-change-in-production': "
        "set a long random value before starting in production."
    )
# Django's own bar (check --deploy, security.W009), enforced: sessions, password-reset links and JWTs
# are only as strong as this key.
if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak ({len(SECRET_KEY)} characters): it needs at least {SECRET_KEY_MIN_LENGTH} "
        f"characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different. Generate one with {_GENERATE_SECRET_KEY}"
    )

# SEIDRA_HTTPS=0 is for a box reached only over plain HTTP on a trusted network; it turns off the
# settings that need TLS in front (manage.py check --deploy then warns about exactly those).
HTTPS = env.bool("SEIDRA_HTTPS", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SEIDRA_HSTS_SECONDS", default=31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# /api/health is probed by load balancers over plain HTTP inside the private network, and /metrics
# scraped by a Prometheus beside the web process: it is served only to allowed addresses or the token,
# and refused requests get the same redirect as any other path (apps/core/metrics_access.py).
SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^metrics$"]

finalize(globals())
