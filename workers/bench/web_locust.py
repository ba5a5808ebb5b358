"""The web process under load: Locust against the real server that `make run` starts.

A private stack in a scratch directory, so the figures never touch the owner's data: its own
redis-server and SQLite file, users with open sessions and JWTs, jobs in their lists, and the web
server exactly as `make run` starts it (`python -m seidra.serve`: SEIDRA_WEB_PROCESSES daphne
processes, SEIDRA_HTTP_THREADS threads each; DEBUG off). No GPU worker: pages and API lists need
none. Loopback only; every Locust run has a fixed length and a hard timeout.

Scenarios (think time 1-3 s per user, see locustfile.py):
- A: 50 users for 60 s with sessions open: pages /, /jobs/, /create/, /notifications/ and
  GET /api/jobs, /api/me, /api/health;
- B: the same with 100 users for 30 s;
- C: A plus LOGIN_USERS users signing in back to back through POST /api/auth/token/ (Argon2);
  the figure that matters is the p95 of the OTHER requests.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from .scratch import ScratchStack

ACCOUNTS = 100
FINISHED_JOBS_PER_ACCOUNT = 10
PASSWORD = "bench-only-passphrase-123"
LOGIN_USERS = 3
RAMP_SECONDS = 5
SCENARIOS = {
    "A_50_users_sessions_open": {"users": 50, "seconds": 60, "login_users": 0},
    "B_100_users_sessions_open": {"users": 100, "seconds": 30, "login_users": 0},
    "C_50_users_plus_logins": {"users": 50, "seconds": 60, "login_users": LOGIN_USERS},
}
ONLY_WITH_SESSIONS = ("pages", "api")
TARGETS = {"errors": 0, "p95_ms_pages_and_api_at_50_users": 150, "p95_ms_others_while_logging_in": 500}
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def seed_database(accounts_file: str) -> None:
    """Run inside the stack's `manage.py shell`: users, sessions, tokens and jobs; writes the accounts file."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password

    from apps.accounts.models import User
    from apps.accounts.services import access_token_create
    from apps.catalog.parameters import image_parameters_clean
    from apps.jobs.models import Job, JobStatus
    from apps.jobs.services import job_create

    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    hashed = make_password(PASSWORD)  # one Argon2 hash for every account: seeding stays fast
    parameters = image_parameters_clean({"prompt": "a lighthouse at dusk, bench"}).to_json()
    accounts = []
    for number in range(ACCOUNTS):
        user = User.objects.create(username=f"bench{number:03d}", password=hashed)
        job_create(owner=user, parameters=parameters)  # one queued job, through the real queue
        Job.objects.bulk_create(
            Job(owner=user, parameters=parameters, total_steps=parameters["steps"], status=status, progress=1.0)
            for status in [JobStatus.SUCCEEDED] * (FINISHED_JOBS_PER_ACCOUNT - 2) + [JobStatus.FAILED] * 2
        )
        session = session_store()
        session[SESSION_KEY] = str(user.pk)
        # The backend that signs users in (the others only refuse); a session naming a backend that
        # is not configured counts as signed out.
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        accounts.append(
            {
                "username": user.username,
                "password": PASSWORD,
                "sessionid": session.session_key,
                "token": access_token_create(username=user.username, hours=2),
            }
        )
    Path(accounts_file).write_text(json.dumps(accounts))


class WebStack(ScratchStack):
    """Redis and the web server (no worker) on a scratch database."""

    def __init__(self, scratch: Path, *, processes: int | None, threads: int | None) -> None:
        overrides = {"SEIDRA_WEB_PROCESSES": processes, "SEIDRA_HTTP_THREADS": threads}
        super().__init__(scratch, overrides={key: str(value) for key, value in overrides.items() if value})
        self.accounts_file = scratch / "accounts.json"

    def start(self) -> None:
        self.prepare()
        self.manage(
            "shell",
            "-c",
            f"from workers.bench.web_locust import seed_database; seed_database({str(self.accounts_file)!r})",
        )
        self.spawn_web()
        self.wait_until(self.web_answers, what="the web server")


def run_scenario(url: str, accounts_file: Path, scratch: Path, *, users: int, seconds: int, login_users: int) -> dict:
    """One headless Locust run against `url` (loopback); its figures per group."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the web bench only targets loopback, not {url}")
    result_file = scratch / f"locust-{users}-{login_users}.json"
    log = scratch / f"locust-{users}-{login_users}.log"
    total_users = users + login_users
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--host", url, "--users", str(total_users), "--spawn-rate", str(max(1, total_users // RAMP_SECONDS)),
        "--run-time", f"{RAMP_SECONDS + seconds}s", "--stop-timeout", "5", "--loglevel", "WARNING",
        "--seidra-accounts", str(accounts_file), "--seidra-result", str(result_file),
        "--seidra-login-users", str(login_users),
        "SessionUser", *(["LoginUser"] if login_users else []),
    ]  # fmt: skip
    with log.open("wb") as output:
        # Locust exits 1 when a request failed; the figures say which, so only a missing result is fatal.
        subprocess.run(command, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT,
                       timeout=RAMP_SECONDS + seconds + 120)  # fmt: skip
    if not result_file.exists():
        raise RuntimeError(f"Locust wrote no figures:\n{log.read_text()[-3000:]}")
    figures = json.loads(result_file.read_text())
    return {"users": users, "login_users": login_users, "seconds": seconds, **figures}


def _others_p95(figures: dict) -> int:
    return max((figures["groups"].get(group, {}).get("p95_ms", 0) for group in ONLY_WITH_SESSIONS), default=0)


def run(*, processes: int | None = None, threads: int | None = None, log=None) -> dict:
    with tempfile.TemporaryDirectory(prefix="seidra-bench-web-") as scratch_name:
        scratch = Path(scratch_name)
        stack = WebStack(scratch, processes=processes, threads=threads)
        try:
            stack.start()
            scenarios = {}
            for name, scenario in SCENARIOS.items():
                if log:
                    log(f"  Locust scenario {name}: {scenario}")
                scenarios[name] = run_scenario(stack.url, stack.accounts_file, scratch, **scenario)
        finally:
            stack.stop()
    env = stack.env()
    a, b, c = (scenarios[name] for name in SCENARIOS)
    return {
        "server": {
            "command": "python -m seidra.serve (as make run)",
            "web_processes": int(env.get("SEIDRA_WEB_PROCESSES", settings.SEIDRA_WEB_PROCESSES)),
            "http_threads_per_process": int(env.get("SEIDRA_HTTP_THREADS", settings.SEIDRA_HTTP_THREADS)),
            "database": "SQLite (scratch)",
            "debug": False,
            "accounts": ACCOUNTS,
            "jobs_per_account": FINISHED_JOBS_PER_ACCOUNT + 1,
            "cpu_count": os.cpu_count(),
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        },
        "think_time_seconds": [1, 3],
        "scenarios": scenarios,
        "targets": TARGETS,
        "targets_met": {
            "no_errors": all(s["errors"] == 0 for s in scenarios.values()),
            "p95_pages_and_api_at_50_users": _others_p95(a) <= TARGETS["p95_ms_pages_and_api_at_50_users"],
            "p95_others_while_logging_in": _others_p95(c) <= TARGETS["p95_ms_others_while_logging_in"],
        },
        "p95_ms_pages_and_api": {"A": _others_p95(a), "B": _others_p95(b), "C": _others_p95(c)},
    }
