# syntax=docker/dockerfile:1
# Web role: daphne serving pages, the API and websockets. No torch: the web never imports the ML stack.
# Build from the repository root:  docker build -f docker/web.Dockerfile -t seidra-web .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=seidra.settings.production \
    SEIDRA_LOG_FILE=0

# gettext: msgfmt compiles the French catalogue (the .mo is not in git).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# Same uid/gid as the worker image: both write the shared media volume.
RUN groupadd --system --gid 10001 seidra \
    && useradd --system --uid 10001 --gid seidra --create-home --home-dir /home/seidra --shell /usr/sbin/nologin seidra

WORKDIR /app

# Dependencies before the code, so a code change does not reinstall them.
COPY requirements/base.txt requirements/base.txt
RUN python -m venv /opt/venv && pip install -r requirements/base.txt

# Only what runs: never .env, .venv, var/ or .git (see also web.Dockerfile.dockerignore).
COPY manage.py ./
COPY seidra seidra
COPY apps apps
COPY workers workers
COPY templates templates
COPY static static
COPY locale locale
COPY docker docker

# The throwaway SECRET_KEY exists only for this build step; the production settings refuse to start without one.
RUN msgfmt -o locale/fr/LC_MESSAGES/django.mo locale/fr/LC_MESSAGES/django.po \
    && SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input -v 0 \
    && mkdir -p var/media var/models logs \
    && chown -R seidra:seidra var logs

USER seidra
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "/app/docker/healthcheck.py"]
CMD ["bash", "/app/docker/start-web.sh"]
