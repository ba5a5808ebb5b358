"""Locust users for the web benchmark (workers/bench/web_locust.py runs it in its own process).

Never import this module elsewhere: importing locust patches the standard library with gevent.

- SessionUser: a signed-in person (session cookie) browsing the pages, and a script (JWT) reading
  the API, with 1-3 s between requests.
- LoginUser: signs in through POST /api/auth/token/ back to back (a real Argon2 check each time).

Requests are counted only once every user has started (the ramp is left out), per group
("pages", "api", "logins"), with exact percentiles written to --seidra-result.
"""

import itertools
import json
import random
import time
from pathlib import Path

from locust import FastHttpUser, between, constant, events, task

PAGES = ["/", "/jobs/", "/create/", "/notifications/"]
API = ["/api/jobs", "/api/me", "/api/health"]

accounts: list[dict] = []
account_numbers = itertools.count()
samples: dict[str, list[float]] = {}
failures: dict[str, dict[str, int]] = {}
window = {"start": None, "stop": None}


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument("--seidra-accounts", help="JSON file written by web_locust.seed_database")
    parser.add_argument("--seidra-result", help="JSON file this run's figures are written to")
    parser.add_argument("--seidra-login-users", type=int, default=0, help="LoginUser instances")


@events.init.add_listener
def _load(environment, **_kwargs) -> None:
    options = environment.parsed_options
    accounts.extend(json.loads(Path(options.seidra_accounts).read_text()))
    LoginUser.fixed_count = options.seidra_login_users


@events.spawning_complete.add_listener
def _start_window(**_kwargs) -> None:
    window["start"] = time.monotonic()


@events.request.add_listener
def _record(name, response_time, exception, **_kwargs) -> None:
    if window["start"] is None or window["stop"] is not None:
        return
    group = name.split(" ", 1)[0]
    samples.setdefault(group, []).append(response_time)
    if exception is not None:
        reason = f"{name}: {exception}"[:200]
        failures.setdefault(group, {})
        failures[group][reason] = failures[group].get(reason, 0) + 1


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@events.test_stop.add_listener
def _write(environment, **_kwargs) -> None:
    window["stop"] = time.monotonic()
    seconds = window["stop"] - window["start"] if window["start"] else 0.0
    groups = {}
    for group, times in sorted(samples.items()):
        errors = sum(failures.get(group, {}).values())
        groups[group] = {
            "requests": len(times),
            "requests_per_second": round(len(times) / seconds, 1) if seconds else 0.0,
            "errors": errors,
            "p50_ms": round(_percentile(times, 0.50)),
            "p95_ms": round(_percentile(times, 0.95)),
            "p99_ms": round(_percentile(times, 0.99)),
            "max_ms": round(max(times)),
            "error_examples": dict(sorted(failures.get(group, {}).items(), key=lambda item: -item[1])[:5]),
        }
    total = sum(group["requests"] for group in groups.values())
    result = {
        "measured_seconds": round(seconds, 1),
        "requests": total,
        "requests_per_second": round(total / seconds, 1) if seconds else 0.0,
        "errors": sum(group["errors"] for group in groups.values()),
        "groups": groups,
    }
    Path(environment.parsed_options.seidra_result).write_text(json.dumps(result, indent=2))


class _Checked(FastHttpUser):
    abstract = True

    def _get(self, group: str, path: str, headers: dict) -> None:
        # A redirect (to the login page) or any non-200 answer is an error, not a fast success.
        with self.client.get(
            path, headers=headers, name=f"{group} {path}", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class SessionUser(_Checked):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        account = accounts[next(account_numbers) % len(accounts)]
        self.page_headers = {"Cookie": f"sessionid={account['sessionid']}"}
        self.api_headers = {"Authorization": f"Bearer {account['token']}", "Accept": "application/json"}

    @task(4)
    def page(self) -> None:
        self._get("pages", random.choice(PAGES), self.page_headers)

    @task(3)
    def api(self) -> None:
        self._get("api", random.choice(API), self.api_headers)


class LoginUser(FastHttpUser):
    wait_time = constant(0)
    fixed_count = 0

    def on_start(self) -> None:
        self.account = accounts[next(account_numbers) % len(accounts)]

    @task
    def login(self) -> None:
        credentials = {"username": self.account["username"], "password": self.account["password"]}
        with self.client.post(
            "/api/auth/token/", json=credentials, name="logins /api/auth/token/", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
