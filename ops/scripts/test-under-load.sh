#!/usr/bin/env bash
# `make test-loaded`: the whole `make test` while stress-ng keeps every core busy (LOAD_CPUS hogs,
# default 4 on any machine), because the suite must pass on a busy box, not only an idle one:
# every timing margin comes from settings, never from luck.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/../.."
LOAD_CPUS=${LOAD_CPUS:-4}
command -v stress-ng >/dev/null || { echo "stress-ng is missing. Run: sudo apt-get install -y stress-ng" >&2; exit 1; }

# Bounded: the hogs stop on their own after two hours even if this script is killed.
stress-ng --cpu "$LOAD_CPUS" --timeout 7200s --quiet &
hogs=$!
trap 'kill "$hogs" 2>/dev/null || true; wait "$hogs" 2>/dev/null || true' EXIT
sleep 5
echo "Load with $LOAD_CPUS CPU hogs on $(nproc) cores: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
make --no-print-directory test || status=$?
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
