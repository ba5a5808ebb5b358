#!/usr/bin/env bash
# `make run`: database, static files, default admin, Redis (started here when none answers),
# the web server (python -m seidra.serve), one RQ worker on queue "gpu", and one on queue "comfyui"
# when SEIDRA_COMFYUI_URL names ComfyUI servers.
# Ctrl-C or SIGTERM stops the web and the worker first (the worker finishes its job, at most
# SEIDRA_STOP_TIMEOUT seconds), then the Redis started here. Started in the background (`make run &`),
# the shell makes it ignore SIGINT: stop it with `kill -TERM <pid>`.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-seidra.settings.local}

# What this script needs from the settings (they read the environment and .env), in one start-up.
settings=$("$PYTHON" - "$HOST" <<'EOF'
import ipaddress, shlex, sys
from django.conf import settings

host = sys.argv[1]
try:
    loopback = host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
except ValueError:
    loopback = False
print(f"REDIS_URL={shlex.quote(settings.REDIS_URL)}")
print(f"STOP_TIMEOUT={int(settings.SEIDRA_STOP_TIMEOUT)}")
print(f"DEBUG_TO_NETWORK={int(settings.DEBUG and not loopback)}")
print(f"COMFYUI_URLS={shlex.quote(','.join(settings.SEIDRA_COMFYUI_URLS))}")
EOF
)
eval "$settings"
if [[ "$DEBUG_TO_NETWORK" == 1 ]]; then
  echo "Refusing HOST=$HOST with DEBUG on (error pages would show tracebacks and settings to the network): use DJANGO_SETTINGS_MODULE=seidra.settings.production, or DEBUG=0 with a SECRET_KEY and ALLOWED_HOSTS." >&2
  exit 2
fi
export REDIS_URL
REDIS_DIR=${SEIDRA_REDIS_DIR:-var/redis}
mkdir -p "$REDIS_DIR" logs

"$PYTHON" manage.py migrate --no-input -v 0
"$PYTHON" manage.py collectstatic --no-input -v 0
"$PYTHON" manage.py bootstrap_admin
# The demo model is the default until real SDXL weights are installed (`make models`).
"$PYTHON" manage.py make_tiny_model >/dev/null

# Each child runs in its own session (setsid keeps the PID): Ctrl-C reaches this script only,
# which stops them in order. Otherwise the terminal would signal Redis together with the worker.
redis_pid=""
servers=()  # web and worker

# True while any of the given processes runs (bash reaps its children, so an ended one is gone).
any_running() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

stop_deadline=0
stop_children() {
  trap - EXIT
  # A second Ctrl-C or SIGTERM while they stop: stop waiting and kill them now.
  trap 'stop_deadline=0' INT TERM
  local pid
  stop_deadline=$((SECONDS + STOP_TIMEOUT))
  echo "Stopping the web server and the worker (at most ${STOP_TIMEOUT}s; Ctrl-C again kills them)..."
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  while any_running "${servers[@]}" && ((SECONDS < stop_deadline)); do sleep 0.2; done
  for pid in "${servers[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "Process $pid is still running (SEIDRA_STOP_TIMEOUT=${STOP_TIMEOUT}s passed, or a second signal): killing it." >&2
      pkill -KILL -P "$pid" 2>/dev/null || true  # its own children: daphne processes, a job's work horse
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if ((${#servers[@]})); then wait "${servers[@]}" 2>/dev/null || true; fi
  # Redis last: the worker needed it until its final heartbeat.
  if [[ -n "$redis_pid" ]]; then
    echo "Stopping Redis..."
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  trap - INT TERM
  echo "Stopped."
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
  setsid redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$REDIS_DIR" --save 60 1 --appendonly no \
    --logfile "$PWD/logs/redis.log" &
  redis_pid=$!
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "Redis did not start; see logs/redis.log" >&2; exit 1; }
fi

setsid "$PYTHON" -m seidra.serve --host "$HOST" --port "$PORT" &
servers+=($!)
setsid "$PYTHON" manage.py rqworker gpu &
servers+=($!)
if [[ -n "$COMFYUI_URLS" ]]; then
  # ComfyUI models' jobs (SEIDRA_COMFYUI_URL): this worker drives the remote servers (no torch here).
  echo "ComfyUI servers: $COMFYUI_URLS (a comfyui worker follows their jobs)"
  # Its own metrics port, next to the gpu worker's (SEIDRA_WORKER_METRICS_PORT, default 9108; 0 stays off).
  worker_port="${SEIDRA_WORKER_METRICS_PORT:-9108}"
  [[ "$worker_port" == 0 ]] || worker_port=$((worker_port + 1))
  SEIDRA_WORKER_METRICS_PORT="$worker_port" setsid "$PYTHON" manage.py rqworker comfyui &
  servers+=($!)
fi

echo
echo "SEIDRA Ultimate is running: open http://$HOST:$PORT/ (Ctrl-C or kill -TERM $$ stops it)"
echo
# Stop everything as soon as one child ends (a crash must not leave half a server running).
wait -n "${servers[@]}" ${redis_pid:+"$redis_pid"}
