#!/usr/bin/env bash
# Web container entry point: schema and default admin first, then exec so daphne is PID 1 and gets docker's SIGTERM.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/.."
python manage.py migrate --no-input
python manage.py bootstrap_admin
exec python -m daphne -b 0.0.0.0 -p "${PORT:-8000}" seidra.asgi:application
