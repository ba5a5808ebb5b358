#!/usr/bin/env bash
# Worker container entry point: exec so the RQ worker is PID 1 and docker's SIGTERM asks it for a warm shutdown.
# Arguments: the queues (default gpu; the compose file's comfyui-worker passes comfyui).
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/.."
exec python manage.py rqworker "${@:-gpu}"
