"""Locust users for `make loadtest` (ops/loadtest/run.py runs it headless against SEIDRA_API_URL).

Never import this module elsewhere: importing locust patches the standard library with gevent.

One ApiUser is a script using the API as a person would, with SEIDRA_LOADTEST_WAIT seconds
(default 1-3) between actions:
- logs in once: SEIDRA_JWT when set, else POST /api/auth/token/ with SEIDRA_LOADTEST_USER and
  SEIDRA_LOADTEST_PASSWORD (one Argon2 check per simulated user, at its start);
- lists its jobs, opens one of them, browses the gallery (GET /api/media);
- follows a job over the websocket /ws/jobs/?job=<id> until the server's snapshot arrives (timed
  as "WS /ws/jobs/");
- submits a small demo-model image job (64 x 64, 2 steps) once every SEIDRA_LOADTEST_SUBMIT_EVERY
  seconds (default 120) per user: a low rate, so the test measures the web, not the GPU. A 429
  ("too many of your jobs are waiting") is the server's quota working, not a failure.
Every other answer than the expected one is a failure (redirects included).
"""

import json
import os
import random
import time

import websocket
from locust import FastHttpUser, between, events, task

SUBMIT_EVERY = float(os.environ.get("SEIDRA_LOADTEST_SUBMIT_EVERY", "120"))
WAIT_MIN, WAIT_MAX = (float(part) for part in os.environ.get("SEIDRA_LOADTEST_WAIT", "1-3").split("-"))
SMALL_JOB = {"prompt": "load test: a lighthouse at dusk", "width": 64, "height": 64, "steps": 2}
SOCKET_TIMEOUT = 30  # seconds a websocket may take to connect and send its snapshot


class ApiUser(FastHttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        self.token = os.environ.get("SEIDRA_JWT", "").strip() or self._log_in()
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        self.job_ids: list[str] = []
        # Spread the users' first submissions over the interval: no burst of jobs at the start.
        self.next_submit = time.monotonic() + random.uniform(0, SUBMIT_EVERY)

    def _log_in(self) -> str:
        credentials = {
            "username": os.environ.get("SEIDRA_LOADTEST_USER", ""),
            "password": os.environ.get("SEIDRA_LOADTEST_PASSWORD", ""),
        }
        with self.client.post("/api/auth/token/", json=credentials, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: set SEIDRA_JWT or a valid user and password")
                raise RuntimeError("login failed")  # stops this user; the failure is in the report
            return response.json()["access"]

    def _get(self, path: str, name: str | None = None):
        with self.client.get(
            path, headers=self.headers, name=name or path, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            return response.json()

    @task(4)
    def list_jobs(self) -> None:
        data = self._get("/api/jobs")
        if data is not None:
            self.job_ids = [job["id"] for job in data.get("results", [])]

    @task(3)
    def open_job(self) -> None:
        if self.job_ids:
            self._get(f"/api/jobs/{random.choice(self.job_ids)}", name="/api/jobs/<id>")

    @task(3)
    def gallery(self) -> None:
        self._get("/api/media")

    @task(1)
    def follow_job(self) -> None:
        if not self.job_ids:
            return
        url = self.host.replace("http", "ws", 1).rstrip("/") + f"/ws/jobs/?job={random.choice(self.job_ids)}"
        started, error = time.perf_counter(), None
        try:
            socket = websocket.create_connection(
                url,
                header=[f"Authorization: Bearer {self.token}"],
                origin=self.host.rstrip("/"),
                timeout=SOCKET_TIMEOUT,
            )
            try:
                message = json.loads(socket.recv())
                if message.get("type") != "jobs.snapshot":
                    error = ValueError(f"first message {message.get('type')!r}, not jobs.snapshot")
            finally:
                socket.close()
        except Exception as exc:  # noqa: BLE001 - any error is this request's failure, as Locust counts it
            error = exc
        events.request.fire(
            request_type="WS",
            name="/ws/jobs/",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    @task(1)
    def submit_small_job(self) -> None:
        if time.monotonic() < self.next_submit:
            return
        self.next_submit = time.monotonic() + SUBMIT_EVERY
        with self.client.post(
            "/api/generation/image", json=SMALL_JOB, headers=self.headers, catch_response=True
        ) as response:
            if response.status_code == 201:
                self.job_ids.insert(0, response.json()["id"])
            elif response.status_code == 429:
                response.success()  # the per-user quota of waiting jobs: the server answering correctly
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
