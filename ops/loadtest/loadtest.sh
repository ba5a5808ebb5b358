#!/usr/bin/env bash
# `make loadtest`: ops/loadtest/run.py in Docker's seidra-loadtest image when an engine answers,
# else in the project's virtualenv (set up by `make setup`). Arguments go to run.py.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/../.."
mkdir -p reports/perf
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  docker build -q -t seidra-loadtest ops/loadtest >/dev/null
  # Host networking: SEIDRA_API_URL=http://127.0.0.1:8000 means this machine's server.
  exec docker run --rm --network host --user "$(id -u):$(id -g)" -v "$PWD/reports/perf:/reports" \
    -e SEIDRA_API_URL -e SEIDRA_JWT -e SEIDRA_LOADTEST_USER -e SEIDRA_LOADTEST_PASSWORD \
    -e SEIDRA_LOADTEST_P95_MS -e SEIDRA_LOADTEST_MAX_FAILURE_PERCENT -e SEIDRA_LOADTEST_SUBMIT_EVERY \
    -e SEIDRA_LOADTEST_WAIT -e USERS -e SPAWN_RATE -e RUN_TIME \
    seidra-loadtest "$@"
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "No Docker engine and no virtualenv: run 'make setup' first." >&2
  exit 2
fi
exec .venv/bin/python ops/loadtest/run.py "$@"
