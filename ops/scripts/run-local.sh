#!/usr/bin/env bash
# `make run`: database, static files, default admin, Redis (started here when none answers),
# daphne and one RQ worker on queue "gpu". Ctrl-C stops every child cleanly.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-seidra.settings.local}
# The URL comes from the environment or .env, as the settings read it.
REDIS_URL=$("$PYTHON" -c "from django.conf import settings; import django; django.setup(); print(settings.REDIS_URL)")
export REDIS_URL
REDIS_DIR=${SEIDRA_REDIS_DIR:-var/redis}
mkdir -p "$REDIS_DIR" logs

"$PYTHON" manage.py migrate --no-input -v 0
"$PYTHON" manage.py collectstatic --no-input -v 0
"$PYTHON" manage.py bootstrap_admin
# The demo model is the default until real SDXL weights are installed (`make models`).
"$PYTHON" manage.py make_tiny_model >/dev/null

children=()
stop_children() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_children INT TERM EXIT

redis_answers() {
  "$PYTHON" -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()" "$REDIS_URL" 2>/dev/null
}
if ! redis_answers; then
  redis_port=$("$PYTHON" -c "from urllib.parse import urlparse; import sys; u = urlparse(sys.argv[1]); print(u.port or 6379)" "$REDIS_URL")
  redis_host=$("$PYTHON" -c "from urllib.parse import urlparse; import sys; print(urlparse(sys.argv[1]).hostname or '')" "$REDIS_URL")
  if [[ "$redis_host" != "127.0.0.1" && "$redis_host" != "localhost" ]]; then
    echo "Redis does not answer at $REDIS_URL: start it there, or unset REDIS_URL to use a local one." >&2
    exit 1
  fi
  echo "Starting a local Redis on port $redis_port (data in $REDIS_DIR)"
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$REDIS_DIR" --save 60 1 --appendonly no \
    --logfile "$PWD/logs/redis.log" &
  children+=($!)
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "Redis did not start; see logs/redis.log" >&2; exit 1; }
fi

"$PYTHON" -m daphne -b "$HOST" -p "$PORT" seidra.asgi:application &
children+=($!)
"$PYTHON" manage.py rqworker gpu &
children+=($!)

echo
echo "SEIDRA Ultimate is running: open http://$HOST:$PORT/ (Ctrl-C stops it)"
echo
# Stop everything as soon as one child ends (a crash must not leave half a server running).
wait -n "${children[@]}"
