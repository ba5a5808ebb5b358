#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing: with apt-get as root,
# otherwise prints the exact command to run. `--required` makes a missing package an error.
set -o errexit -o nounset -o pipefail

required=0
if [[ "${1:-}" == "--required" ]]; then required=1; shift; fi

# package -> file that proves it is installed
declare -A probe=(
  [redis-server]=/usr/bin/redis-server
  [postgresql]=/usr/bin/pg_ctlcluster
  [gettext]=/usr/bin/msgfmt
  [chromium]=/usr/bin/chromium
  [chromium-driver]=/usr/bin/chromedriver
  [stress-ng]=/usr/bin/stress-ng
  [shellcheck]=/usr/bin/shellcheck
  [prometheus]=/usr/bin/promtool
)

missing=()
for package in "$@"; do
  [[ -x "${probe[$package]:-/nonexistent}" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has empty package lists; refresh them when the install cannot find a package.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
  exit 0
fi

echo "Missing system packages: ${missing[*]}. Run: sudo $command" >&2
exit $required
