# syntax=docker/dockerfile:1
# GPU worker role: `manage.py rqworker gpu` with the ML stack. torch from PyPI bundles its CUDA libraries,
# so a slim Python base is enough; the host needs only the NVIDIA driver and the NVIDIA Container Toolkit.
# Build from the repository root:  docker build -f docker/worker.Dockerfile -t seidra-worker .
# With xFormers (CUDA only, optional):  --build-arg INSTALL_XFORMERS=1
# Without the NSFW detector (NudeNet: see the README for its licence question):  --build-arg INSTALL_NSFW=0
FROM python:3.11-slim

ARG INSTALL_XFORMERS=0
ARG INSTALL_NSFW=1

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=seidra.settings.production \
    SEIDRA_LOG_FILE=0 \
    HF_HOME=/app/var/models/huggingface

# gettext: msgfmt compiles the French catalogue (the worker runs the same code as the web, translations included).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# Same uid/gid as the web image: both write the shared media volume.
RUN groupadd --system --gid 10001 seidra \
    && useradd --system --uid 10001 --gid seidra --create-home --home-dir /home/seidra --shell /usr/sbin/nologin seidra

WORKDIR /app

# Dependencies before the code, so a code change does not reinstall torch.
COPY requirements/base.txt requirements/ml.txt requirements/nodeps.txt requirements/gpu.txt requirements/nsfw.txt requirements/
# xFormers is unpinned in gpu.txt: ml.txt as constraints keeps pip from swapping the pinned torch for another.
RUN python -m venv /opt/venv \
    && pip install -r requirements/base.txt -r requirements/ml.txt \
    && pip install --no-deps -r requirements/nodeps.txt \
    && case "$INSTALL_XFORMERS" in \
         0) ;; \
         1) pip install -r requirements/gpu.txt -c requirements/ml.txt ;; \
         *) echo "INSTALL_XFORMERS must be 0 or 1, not '$INSTALL_XFORMERS'" >&2; exit 1 ;; \
       esac \
    && case "$INSTALL_NSFW" in \
         0) ;; \
         1) pip install -r requirements/nsfw.txt -c requirements/ml.txt ;; \
         *) echo "INSTALL_NSFW must be 0 or 1, not '$INSTALL_NSFW'" >&2; exit 1 ;; \
       esac

# Only what runs: never .env, .venv, var/ or .git (see also worker.Dockerfile.dockerignore).
COPY manage.py ./
COPY seidra seidra
COPY apps apps
COPY workers workers
COPY templates templates
COPY static static
COPY locale locale
COPY docker docker

RUN msgfmt -o locale/fr/LC_MESSAGES/django.mo locale/fr/LC_MESSAGES/django.po \
    && mkdir -p var/media var/models/huggingface logs \
    && chown -R seidra:seidra var logs

USER seidra
# SIGTERM is RQ's warm shutdown: the current job finishes first. Give it time (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["bash", "/app/docker/start-worker.sh"]
