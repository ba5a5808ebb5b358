"""Real GPU workers for tests: `manage.py rqworker gpu` subprocesses, or one in-process burst run."""

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .asgi_server import database_url_for_test_db
from .processes import child_env

REPO_ROOT = Path(__file__).resolve().parents[2]


def burst_worker_run(*, max_jobs: int | None = None) -> bool:
    """Run the real worker class in this process until the queue is empty (RQ's burst mode).

    From a thread other than the main one (async tests), signal handlers cannot be installed:
    the job timeout then uses rq's timer instead of SIGALRM, and Ctrl-C is left to pytest."""
    import threading

    from apps.jobs.queueing import gpu_queue
    from workers.worker import GpuWorker

    queue = gpu_queue()
    if threading.current_thread() is threading.main_thread():
        worker = GpuWorker([queue], connection=queue.connection)
    else:
        worker = _thread_worker_class()([queue], connection=queue.connection)
    # rq installs its SIGINT/SIGTERM handlers for good: put pytest's back, so Ctrl-C still stops the run.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING")
    finally:
        if threading.current_thread() is threading.main_thread():
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


def _thread_worker_class():
    from rq.timeouts import TimerDeathPenalty

    from workers.worker import GpuWorker

    class ThreadWorker(GpuWorker):
        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self) -> None:
            pass

    return ThreadWorker


class WorkerProcess:
    """`manage.py rqworker gpu` (or `comfyui`) on the test database and Redis, as an operator starts it."""

    def __init__(
        self, *, redis_url: str, models_dir: Path, name: str, extra_env: dict | None = None, queue: str = "gpu"
    ) -> None:
        from django.conf import settings

        self.name = name
        self.queue = queue
        self.log = Path(tempfile.mkstemp(prefix=f"seidra-test-worker-{name}-", suffix=".log")[1])
        defaults = {
            "DJANGO_SETTINGS_MODULE": "seidra.settings.test",
            "DATABASE_URL": database_url_for_test_db(),
            "REDIS_URL": redis_url,
            "SEIDRA_MODELS_DIR": str(models_dir),
            "SEIDRA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        # extra_env wins: a worker "on another host" has its own media and models folders.
        self.env = child_env(**{**defaults, **{key: str(value) for key, value in (extra_env or {}).items()}})
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "rqworker", self.queue, "--name", self.name],
                cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def wait_registered(self, timeout: float = 30) -> "WorkerProcess":
        """Until it is registered and beating (it may still be importing torch)."""
        return self._wait(lambda state, alive: alive, timeout, "register")

    def wait_listening(self, timeout: float = 300) -> "WorkerProcess":
        """Until it listens on the queue: registered in RQ, idle or busy, and beating (minutes on a
        loaded machine, where importing torch alone can take a minute)."""
        return self._wait(lambda state, alive: alive and state in (b"idle", b"busy"), timeout, "listen")

    def _wait(self, ready, timeout: float, what: str) -> "WorkerProcess":
        import redis

        from apps.core.liveness import workers_alive

        connection = redis.Redis.from_url(self.env["REDIS_URL"])
        deadline = time.monotonic() + timeout
        while True:
            try:
                state = connection.hget(f"rq:worker:{self.name}", "state")
                if ready(state, bool(workers_alive(connection, [self.name]))):
                    return self
            except redis.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not {what}:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """End of a test: no need to let a job finish (the test's data is thrown away)."""
        self.kill()


def wait_for(condition, *, what: str = "condition", timeout: float = 600, worker=None, poll: float = 0.05):
    """The first truthy value of `condition()`, asked every `poll` seconds for up to `timeout`. On
    timeout an AssertionError names `what` and shows every job row and the log of `worker` (one
    WorkerProcess, or {name: WorkerProcess} for several), so a failure on a slow machine explains itself."""
    from apps.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    columns = ("id", "status", "stage", "step", "total_steps", "worker_name", "attempts", "error")
    rows = list(Job.objects.values_list(*columns))
    workers = worker if isinstance(worker, dict) else ({"worker": worker} if worker else {})
    logs = "".join(f"\n{name} log:\n{process.output()}" for name, process in workers.items())
    raise AssertionError(f"timed out waiting for {what}; jobs {columns}: {rows}{logs}")
