# SEIDRA Ultimate. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
HOURS ?= 12
QUEUE ?= gpu
REQUIREMENTS := requirements/base.txt requirements/ml.txt requirements/nsfw.txt requirements/dev.txt
NODEPS_REQUIREMENTS := requirements/nodeps.txt
SYSTEM_PACKAGES := redis-server postgresql gettext chromium chromium-driver shellcheck prometheus
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help setup run test test-postgres test-loaded lint rotate-demo-user token messages clean bench bench-web tiny-model models loadtest web worker observability-up observability-down

help: ## List the targets
	@echo "SEIDRA Ultimate - make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'
	@echo "Variables: HOST=$(HOST) PORT=$(PORT); see README.md for the environment."

setup: $(VENV)/.installed $(MO_FILES) ## Virtualenv, pinned requirements, system packages (idempotent)
	@ops/scripts/system-packages.sh $(SYSTEM_PACKAGES)

# Re-runs pip only when a requirements file changed since the last install.
$(VENV)/.installed: $(REQUIREMENTS) $(NODEPS_REQUIREMENTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10+ is needed: set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(addprefix -r ,$(REQUIREMENTS))
	$(PY) -m pip install --quiet --no-deps $(addprefix -r ,$(NODEPS_REQUIREMENTS))
	@touch $@

# Translations are compiled from the committed .po files (msgfmt comes with gettext).
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@ops/scripts/system-packages.sh --required gettext
	msgfmt --check -o $@ $<

run: setup ## Start everything: migrate, default admin, demo model, Redis, web (daphne processes) on HOST:PORT, one GPU worker (image and video jobs; + a comfyui worker when SEIDRA_COMFYUI_URL is set)
	@ops/scripts/run-local.sh

web: setup ## The web server alone (start-backend.sh): migrate, static files, default admin, then daphne on HOST:PORT; Redis must answer
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py bootstrap_admin
	$(PY) -m seidra.serve --host $(HOST) --port $(PORT)

worker: setup ## One RQ worker (start-worker.sh) on QUEUE=gpu (default) or QUEUE=comfyui; Redis must answer
	$(PY) manage.py rqworker $(QUEUE)

test: setup ## Lint, Django checks and the whole pytest suite (browser tests included)
	@ops/scripts/system-packages.sh --required $(SYSTEM_PACKAGES)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=seidra.settings.test $(PY) manage.py check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The same pytest run on a throw-away PostgreSQL the session starts (seidra/local_postgres.py), or on
# DATABASE_URL when it is set; lint and checks are make test's. .ci/run runs it after make test.
test-postgres: setup ## The pytest suite again on PostgreSQL (SEIDRA_TEST_DATABASE=postgres; PYTEST_ARGS as for make test)
	@ops/scripts/system-packages.sh --required $(SYSTEM_PACKAGES)
	SEIDRA_TEST_DATABASE=postgres $(VENV)/bin/pytest $(PYTEST_ARGS)

test-loaded: setup ## make test while stress-ng loads the cores (LOAD_CPUS=4 hogs): it must pass on a busy machine
	@ops/scripts/system-packages.sh --required stress-ng
	@ops/scripts/test-under-load.sh

lint: $(VENV)/.installed ## Ruff: lint rules and formatting (what make test checks first)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

rotate-demo-user: setup ## New random password for the default admin, printed once
	@$(PY) manage.py migrate --no-input -v 0
	@$(PY) manage.py rotate_demo_user

token: setup ## Print an API access token: make token USER=name [HOURS=12]
	@if [ "$(origin USER)" != "command line" ]; then echo "Usage: make token USER=<username> [HOURS=12]" >&2; exit 2; fi
	@$(PY) manage.py create_token --user "$(USER)" --hours "$(HOURS)"

models: setup ## Download SDXL base 1.0 (fp16), the fp16-fix VAE and the catalog LoRAs: make models [ARGS="--only NAME --offline"]
	@$(PY) manage.py migrate --no-input -v 0
	@$(PY) manage.py setup_models $(ARGS)

tiny-model: setup ## Build the demo model (SDXL architecture, random weights) under var/models
	$(PY) manage.py make_tiny_model

bench: ## Benchmarks as JSON on stdout and in reports/bench/ (GPU section on CUDA only; ComfyUI section with SEIDRA_TEST_COMFYUI_DIR)
	@$(MAKE) --no-print-directory setup >&2  # keep stdout for the JSON alone
	@$(PY) manage.py bench

bench-web: ## The Locust web section of `make bench` alone (about 4 minutes), JSON as above
	@$(MAKE) --no-print-directory setup >&2
	@$(PY) manage.py bench --only web

loadtest: ## Locust headless against SEIDRA_API_URL (SEIDRA_JWT or SEIDRA_LOADTEST_USER/_PASSWORD): USERS=50 RUN_TIME=60s; reports in reports/perf/, fails past 1 % failures or SEIDRA_LOADTEST_P95_MS
	@ops/loadtest/loadtest.sh

messages: $(VENV)/.installed ## Refresh the translation catalogs after changing UI text
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=var --no-obsolete

clean: ## Remove the virtualenv and generated files (keeps var/ data)
	rm -rf $(VENV) .pytest_cache .ruff_cache $(MO_FILES)

observability-up: ## The observability stack with SEIDRA in Docker (ops/docker-compose.dev.yml, .env.dev; GPU=1 adds the NVIDIA override)
	@ops/scripts/observability.sh up

observability-down: ## Stop that stack; its volumes stay (README, "Operations", to purge them)
	@ops/scripts/observability.sh down
