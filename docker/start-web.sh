#!/usr/bin/env bash
# Web container entry point: schema and default admin first, then exec the web launcher (SEIDRA_WEB_PROCESSES
# daphne processes on one socket, see seidra/serve.py) as PID 1: it passes docker's SIGTERM on to them.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/.."
python manage.py migrate --no-input
python manage.py bootstrap_admin
exec python -m seidra.serve --host 0.0.0.0 --port "${PORT:-8000}"
