"""Production role: refuses to start with a missing or published SECRET_KEY; HTTPS in front by default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SEED_DEFAULT_SECRET_KEY, env, finalize

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is empty: set it to a long random value, e.g. "
        "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
if SECRET_KEY == SEED_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the published default 'seidra-secret-key-change-in-production': "
        "set a long random value before starting in production."
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
# /api/health is probed by load balancers over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^metrics$"]

finalize(globals())
