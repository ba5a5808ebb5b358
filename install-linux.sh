#!/usr/bin/env bash
# SEIDRA Ultimate installer for Linux (Debian/Ubuntu): checks the machine against the recommended
# hardware, installs the system packages, the virtualenv and the pinned requirements (`make setup`,
# plus requirements/gpu.txt on a CUDA box), sets up the models, and writes start-seidra.sh,
# start-backend.sh, start-worker.sh and systemd units. All of them are thin wrappers over the
# Makefile, so there is one way to do each thing. Re-running it is safe: every step is idempotent.
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")"
ROOT=$PWD

# The recommended machine (doc/QA/GPU_OS_MATRIX.md and the README's table): falling short is a
# warning, not an error: the demo model runs on much less.
MIN_CPU_CORES=8
MIN_RAM_GB=32
MIN_DISK_GB=100
MIN_VRAM_GB=24
MIN_NVIDIA_DRIVER=535

dry_run=0
models=1
install_units=0

usage() {
  cat <<'USAGE'
Usage: ./install-linux.sh [--dry-run] [--no-models] [--install-units] [--help]

Installs SEIDRA Ultimate in this directory:
  1. checks CPU cores, RAM, free disk and GPU memory (nvidia-smi) and says what falls short;
  2. installs the system packages, the virtualenv .venv and the requirements (make setup),
     plus requirements/gpu.txt when an NVIDIA GPU answers;
  3. sets up the models: SDXL and the catalog LoRAs on a CUDA box (make models), the demo
     model elsewhere (make tiny-model);
  4. writes start-seidra.sh, start-backend.sh, start-worker.sh and systemd units in var/systemd/.

Options:
  --dry-run        run the checks, list every step with its command, change nothing
  --no-models      skip step 3 (run `make models` or `make tiny-model` later)
  --install-units  copy the units to /etc/systemd/system and reload systemd (root only)
  --help           this text

Re-running is safe. Windows: run install-windows.bat, which runs this script inside WSL2.
USAGE
}

while (($#)); do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --no-models) models=0 ;;
    --install-units) install_units=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

say() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }

# One step: its number and title, then the command (shown, and run unless --dry-run).
step_number=0
step() {
  local title=$1
  shift
  step_number=$((step_number + 1))
  if ((dry_run)); then
    say "[dry-run] step $step_number: $title: $*"
  else
    say "==> step $step_number: $title: $*"
    "$@"
  fi
}

# --- 1. The machine -----------------------------------------------------------------------------
has_cuda=0
check_hardware() {
  local cores ram_gb disk_gb
  cores=$(nproc)
  ram_gb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 / 1024}' /proc/meminfo)
  disk_gb=$(df -Pk "$ROOT" | awk 'NR == 2 {printf "%d", $4 / 1024 / 1024}')
  say "Machine: $cores CPU cores, $ram_gb GB RAM, $disk_gb GB free disk here"
  ((cores >= MIN_CPU_CORES)) || warn "CPU: $cores cores, $MIN_CPU_CORES or more recommended (16 threads)"
  ((ram_gb >= MIN_RAM_GB)) || warn "RAM: $ram_gb GB, $MIN_RAM_GB GB minimum recommended (64 GB ideal)"
  ((disk_gb >= MIN_DISK_GB)) || warn "disk: $disk_gb GB free, $MIN_DISK_GB GB recommended (SDXL and the LoRAs take ~20 GB)"
  if command -v nvidia-smi >/dev/null && nvidia-smi >/dev/null 2>&1; then
    has_cuda=1
    local name memory_mb driver
    while IFS=, read -r name memory_mb driver; do
      say "GPU: ${name# } with $((memory_mb / 1024)) GB, driver ${driver# }"
      ((memory_mb / 1024 >= MIN_VRAM_GB)) || warn "GPU memory: $((memory_mb / 1024)) GB, $MIN_VRAM_GB GB recommended (RTX 3090 class)"
      ((${driver%%.*} >= MIN_NVIDIA_DRIVER)) || warn "NVIDIA driver ${driver# }: $MIN_NVIDIA_DRIVER or newer needed for CUDA 12.1"
    done < <(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits)
  else
    warn "no NVIDIA GPU answers (nvidia-smi): the worker generates on the CPU, with the demo model by default"
  fi
}

# make and python3-venv come before the Makefile can install the rest.
check_bootstrap_tools() {
  local missing=()
  command -v make >/dev/null || missing+=(make)
  command -v python3 >/dev/null || missing+=(python3)
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  ((${#missing[@]} == 0)) && return 0
  if ((dry_run)); then
    say "[dry-run] would install: apt-get install -y ${missing[*]}"
  elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "Missing: ${missing[*]}. Run: sudo apt-get install -y ${missing[*]} and run this script again." >&2
    exit 1
  fi
}

check_hardware
check_bootstrap_tools

# --- 2. Packages and the virtualenv -------------------------------------------------------------
step "system packages, virtualenv and requirements" make setup
if ((has_cuda)); then
  step "CUDA extras (requirements/gpu.txt)" .venv/bin/pip install --quiet -r requirements/gpu.txt
fi

# --- 3. Models ----------------------------------------------------------------------------------
if ((!models)); then
  say "Models skipped (--no-models): run 'make models' (SDXL) or 'make tiny-model' (demo) later."
elif ((has_cuda)); then
  step "models: SDXL base 1.0, its VAE and the catalog LoRAs" make models
else
  step "models: the demo model (no GPU: SDXL would take minutes per image)" make tiny-model
fi

# --- 4. Start scripts and systemd units ---------------------------------------------------------
# Writes a file only when its content changes, so re-running touches nothing that is up to date.
write_file() {
  local path=$1 mode=$2 content
  content=$(cat)
  if [[ -f "$path" && "$(cat "$path")" == "$content" ]]; then
    return 0
  fi
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$content" >"$path"
  chmod "$mode" "$path"
  say "wrote $path"
}

write_start_scripts() {
  write_file start-backend.sh 755 <<'SCRIPT'
#!/usr/bin/env bash
# The web server alone (written by install-linux.sh): make web. Redis must answer at REDIS_URL.
cd "$(dirname "$0")" && exec make web "$@"
SCRIPT
  write_file start-worker.sh 755 <<'SCRIPT'
#!/usr/bin/env bash
# One worker on the gpu queue (written by install-linux.sh): make worker [QUEUE=comfyui].
cd "$(dirname "$0")" && exec make worker "$@"
SCRIPT
  write_file start-seidra.sh 755 <<'SCRIPT'
#!/usr/bin/env bash
# Everything (written by install-linux.sh): Redis, the web server and a worker (make run), then
# the browser. Redis: the system's service when systemd has one, else make run starts a local one.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")"
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export HOST PORT
if command -v systemctl >/dev/null && systemctl list-unit-files redis-server.service >/dev/null 2>&1; then
  systemctl is-active --quiet redis-server || systemctl start redis-server 2>/dev/null \
    || sudo -n systemctl start redis-server 2>/dev/null \
    || echo "Could not start redis-server through systemd: make run starts a local Redis." >&2
fi
make run &
run_pid=$!
trap 'kill -TERM "$run_pid" 2>/dev/null; wait "$run_pid"' INT TERM
if command -v xdg-open >/dev/null; then
  # Open the browser once the server answers (make run may first build the demo model).
  for _ in $(seq 300); do
    if curl -fsS -o /dev/null "http://$HOST:$PORT/api/health" 2>/dev/null; then
      xdg-open "http://$HOST:$PORT/" >/dev/null 2>&1 || true
      break
    fi
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 1
  done
fi
wait "$run_pid"
SCRIPT
}

write_units() {
  local user
  user=$(id -un)
  write_file var/systemd/seidra.service 644 <<UNIT
# SEIDRA Ultimate in $ROOT (written by install-linux.sh): make run, i.e. Redis when none answers,
# the web server and one worker. For a production host see ops/systemd/ and ops/README.md.
[Unit]
Description=SEIDRA Ultimate (make run in $ROOT)
Wants=network-online.target
After=network-online.target redis-server.service

[Service]
Type=simple
User=$user
WorkingDirectory=$ROOT
EnvironmentFile=-$ROOT/.env
ExecStart=/usr/bin/env make run
# make run's script stops the web and the worker (the job finishes) before Redis.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=660
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
  write_file var/systemd/seidra-worker@.service 644 <<UNIT
# One more SEIDRA worker on queue %i (written by install-linux.sh): make worker QUEUE=%i.
[Unit]
Description=SEIDRA Ultimate worker on queue %i ($ROOT)
After=network-online.target redis-server.service seidra.service

[Service]
Type=simple
User=$user
WorkingDirectory=$ROOT
EnvironmentFile=-$ROOT/.env
ExecStart=/usr/bin/env make worker QUEUE=%i
KillSignal=SIGTERM
TimeoutStopSec=660
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
}

if ((dry_run)); then
  say "[dry-run] step $((step_number + 1)): start scripts: would write start-seidra.sh, start-backend.sh, start-worker.sh"
  say "[dry-run] step $((step_number + 2)): systemd units: would write var/systemd/seidra.service, var/systemd/seidra-worker@.service"
  ((install_units)) && say "[dry-run] would install them: install -m 644 var/systemd/*.service /etc/systemd/system/ && systemctl daemon-reload"
  say "Dry run: nothing was changed."
  exit 0
fi
step "start scripts" write_start_scripts
step "systemd units in var/systemd/" write_units
if ((install_units)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "--install-units needs root: sudo ./install-linux.sh --install-units" >&2
    exit 1
  fi
  step "install the units" install -m 644 var/systemd/seidra.service "var/systemd/seidra-worker@.service" /etc/systemd/system/
  step "reload systemd" systemctl daemon-reload
fi

cat <<DONE

SEIDRA Ultimate is installed. Next:
  - set SEIDRA_DEFAULT_USER_PASSWORD (12+ characters) in .env for the default admin;
  - ./start-seidra.sh starts Redis, the web server and a worker, then opens http://127.0.0.1:8000/;
  - as a service: sudo ./install-linux.sh --install-units && sudo systemctl enable --now seidra
DONE
