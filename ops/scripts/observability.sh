#!/usr/bin/env bash
# `make observability-up` / `make observability-down`: the development stack of ops/docker-compose.dev.yml
# (SEIDRA, Prometheus, Grafana, Loki, promtail, Tempo). Usage: observability.sh up|down
# GPU=1 adds ops/docker-compose.gpu.override.yml; ENV_FILE picks the variables file (default .env.dev).
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/../.."
action="${1:-}"
env_file="${ENV_FILE:-.env.dev}"
compose_files=(-f ops/docker-compose.dev.yml)
if [[ "${GPU:-0}" == "1" ]]; then compose_files+=(-f ops/docker-compose.gpu.override.yml); fi

if [[ "$action" != "up" && "$action" != "down" ]]; then
  echo "Usage: $0 up|down   (GPU=1 for the NVIDIA override, ENV_FILE=.env.dev by default)" >&2
  exit 2
fi
if ! command -v docker >/dev/null; then
  echo "No docker command: install Docker Engine with the Compose plugin (2.24+) to run the observability stack." >&2
  exit 1
fi
if ! docker compose version >/dev/null 2>&1; then
  echo "docker has no compose plugin: install docker-compose-plugin (Compose 2.24+)." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "No Docker engine answers (docker info failed): start it (systemctl start docker) or run on a host that has one." >&2
  exit 1
fi
if [[ ! -f "$env_file" ]]; then
  echo "$env_file is missing: cp .env.example $env_file and fill in the values marked required for the stack." >&2
  exit 1
fi

if [[ "$action" == "up" ]]; then
  docker compose "${compose_files[@]}" --env-file "$env_file" up -d --build
  echo "SEIDRA http://127.0.0.1:8000  Grafana http://127.0.0.1:3001  Prometheus http://127.0.0.1:9090"
  echo "Loki http://127.0.0.1:3100  Tempo http://127.0.0.1:3200 (OTLP 4317/4318)  MinIO console http://127.0.0.1:9001"
else
  # The volumes stay; `docker compose -f ops/docker-compose.dev.yml --env-file .env.dev down -v` purges them.
  docker compose "${compose_files[@]}" --env-file "$env_file" down
fi
