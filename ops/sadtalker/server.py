#!/usr/bin/env python3
"""A small HTTP service around SadTalker's command line, for the GPU box (see README.md beside it).

Standard library only: it runs in SadTalker's own virtualenv (Python 3.8+), which SEIDRA's
packages must not disturb. One job runs at a time (SadTalker fills a GPU); the others wait in a
queue of at most --max-pending. Each job gets a directory under --work-dir holding its uploads and
the command's result_dir; the video is the newest .mp4 the command wrote there. Finished jobs are
forgotten (directory removed) --retention seconds after they end, or at once by DELETE.

The HTTP contract (JSON everywhere except the video):
  GET    /health               {"status": "ok", "queue": {"running", "pending"}, "gpu": [...] | null}
  POST   /v1/jobs              multipart: source_image, driven_audio (files); size, still, preprocess,
                               enhancer, pose_style, expression_scale -> 202 {"id", "status": "queued"};
                               400 {"error", "field"}; 413 too large; 503 queue full (Retry-After)
  GET    /v1/jobs/{id}         {"id", "status": queued|running|succeeded|failed|cancelled, "progress": 0..1,
                               "error", "position" (while queued), "seconds" (the command's run time)}
  GET    /v1/jobs/{id}/video   the mp4 once succeeded; 409 before
  DELETE /v1/jobs/{id}         cancels (a running command's whole process group is killed) and forgets it
"""

from __future__ import annotations  # SadTalker's venv may be Python 3.8

import argparse
import email.parser
import email.policy
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_PORT = 8002
DEFAULT_COMMAND = (
    "{python} inference.py --driven_audio {driven_audio} --source_image {source_image} --result_dir {result_dir} "
    "--size {size} --preprocess {preprocess} --pose_style {pose_style} --expression_scale {expression_scale}"
)
# SadTalker's progress bars in a default run (crop, no enhancer): landmark Det, 3DMM Extraction,
# mel, audio2exp, Face Renderer. The enhancer and `full` framing each add one.
BASE_PROGRESS_BARS = 5
PREPROCESS_CHOICES = ("crop", "extcrop", "resize", "full", "extfull")
ENHANCER_CHOICES = ("none", "gfpgan", "RestoreFormer")
SIZES = (256, 512)
POSE_STYLE_RANGE = (0, 45)
EXPRESSION_SCALE_RANGE = (0.0, 5.0)
# Magic bytes -> file extension, so the command gets a name its loaders recognise.
IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"BM", "bmp"))
AUDIO_MAGIC = ((b"RIFF", "wav"), (b"ID3", "mp3"), (b"\xff\xfb", "mp3"), (b"\xff\xf3", "mp3"), (b"\xff\xf2", "mp3"),
               (b"OggS", "ogg"), (b"fLaC", "flac"))  # fmt: skip
PERCENT = re.compile(rb"(\d{1,3})%")
KILL_GRACE_SECONDS = 5.0
FINISHED = ("succeeded", "failed", "cancelled")


class BadField(Exception):
    def __init__(self, field_name: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.status = status


@dataclass
class Job:
    id: str
    directory: Path
    options: dict
    source_image: Path
    driven_audio: Path
    status: str = "queued"
    progress: float = 0.0
    error: str = ""
    started: float | None = None
    ended: float | None = None
    video: Path | None = None
    process: subprocess.Popen | None = None
    output_tail: deque = field(default_factory=lambda: deque(maxlen=40))

    @property
    def result_dir(self) -> Path:
        return self.directory / "result"

    def summary(self, position: int | None) -> dict:
        body = {"id": self.id, "status": self.status, "progress": round(self.progress, 4), "error": self.error}
        if position is not None:
            body["position"] = position
        if self.started is not None:
            body["seconds"] = round((self.ended or time.monotonic()) - self.started, 3)
        return body


class ProgressTracker:
    """tqdm bars -> one rising fraction: each new bar (another description, or a percentage that falls)
    is one more of `bars` equal parts; the fraction never goes back and stays below 1 until success."""

    def __init__(self, bars: int) -> None:
        self.bars = max(1, bars)
        self.index = 0
        self.last_percent = -1
        self.last_label = b""
        self.value = 0.0

    def feed(self, segment: bytes) -> float:
        matches = list(PERCENT.finditer(segment))
        if not matches:
            return self.value
        match = matches[-1]  # tqdm may rewrite its line several times in one read
        percent = min(100, int(match.group(1)))
        label = segment[: match.start()].split(b":")[0].strip()
        if self.last_percent >= 0 and (percent < self.last_percent or (label and label != self.last_label)):
            self.index = min(self.index + 1, self.bars - 1)
        self.last_percent, self.last_label = percent, label
        self.value = max(self.value, min(0.99, (self.index + percent / 100) / self.bars))
        return self.value


class JobQueue:
    """All jobs by id, the waiting ones in order, and the one runner thread."""

    def __init__(self, config: argparse.Namespace) -> None:
        self.config = config
        self.jobs: dict[str, Job] = {}
        self.pending: deque[str] = deque()
        self.running: Job | None = None
        self.lock = threading.Condition()
        self.stopping = False

    # --- reads --------------------------------------------------------------------------------
    def counts(self) -> dict:
        with self.lock:
            return {"running": 1 if self.running else 0, "pending": len(self.pending)}

    def summary(self, job_id: str) -> dict | None:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                return None
            position = self.pending.index(job_id) + 1 if job.status == "queued" else None
            return job.summary(position)

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)

    # --- writes -------------------------------------------------------------------------------
    def add(self, job: Job) -> bool:
        with self.lock:
            if len(self.pending) >= self.config.max_pending:
                return False
            self.jobs[job.id] = job
            self.pending.append(job.id)
            self.lock.notify_all()
            return True

    def forget(self, job_id: str) -> dict | None:
        """Cancel the job if it has not ended (killing its command), remove its files, forget it."""
        with self.lock:
            job = self.jobs.pop(job_id, None)
            if job is None:
                return None
            if job_id in self.pending:
                self.pending.remove(job_id)
            if job.status not in FINISHED:
                job.status = "cancelled"
                job.ended = time.monotonic()
            process = job.process
        if process is not None:
            process_group_stop(process)
        shutil.rmtree(job.directory, ignore_errors=True)
        return {"id": job.id, "status": job.status}

    def expire(self) -> None:
        """Forget the jobs that ended more than --retention seconds ago."""
        limit = time.monotonic() - self.config.retention
        with self.lock:
            old = [job.id for job in self.jobs.values() if job.ended is not None and job.ended < limit]
        for job_id in old:
            self.forget(job_id)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            self.lock.notify_all()
            running = self.running
        if running is not None and running.process is not None:
            process_group_stop(running.process)

    # --- the runner ---------------------------------------------------------------------------
    def run_forever(self) -> None:
        while True:
            with self.lock:
                while not self.pending and not self.stopping:
                    self.lock.wait()
                if self.stopping:
                    return
                job = self.jobs[self.pending.popleft()]
                job.status, job.started = "running", time.monotonic()
                self.running = job
                try:
                    job.process = command_start(self.config, job)
                except OSError as error:
                    job.status, job.error, job.ended = (
                        "failed",
                        f"the command could not start: {error}",
                        time.monotonic(),
                    )
                    self.running = None
                    continue
            try:
                self._follow(job)
            finally:
                with self.lock:
                    self.running = None

    def _follow(self, job: Job) -> None:
        tracker = ProgressTracker(
            BASE_PROGRESS_BARS
            + (job.options["enhancer"] != "none")
            + (job.options["preprocess"] in ("full", "extfull"))
        )
        buffer = b""
        stream = job.process.stdout
        while chunk := os.read(stream.fileno(), 65536):
            buffer += chunk
            # tqdm rewrites its line with \r; a line of its own ends with \n.
            *segments, buffer = re.split(rb"[\r\n]", buffer)
            for segment in segments:
                if segment.strip():
                    job.output_tail.append(segment.decode("utf-8", "replace").strip())
                    job.progress = tracker.feed(segment)
        if buffer.strip():
            job.output_tail.append(buffer.decode("utf-8", "replace").strip())
        stream.close()
        returncode = job.process.wait()
        with self.lock:
            if job.status != "running":  # cancelled meanwhile
                return
            job.ended = time.monotonic()
            videos = sorted(job.result_dir.rglob("*.mp4"), key=lambda path: path.stat().st_mtime)
            if returncode != 0:
                last = job.output_tail[-1] if job.output_tail else "no output"
                job.status, job.error = "failed", f"the command exited with {returncode}: {last}"
            elif not videos:
                # inference.py exits 0 without a video when it finds no face: its last words say why.
                last = job.output_tail[-1] if job.output_tail else "no output"
                job.status, job.error = "failed", f"the command wrote no .mp4 (its last output: {last})"
            else:
                job.status, job.progress, job.video = "succeeded", 1.0, videos[-1]


def command_start(config: argparse.Namespace, job: Job) -> subprocess.Popen:
    """The command of --command with the job's values; its own process group, so a cancel ends
    everything it started (SadTalker's ffmpeg included)."""
    values = {
        "python": config.python, "source_image": str(job.source_image), "driven_audio": str(job.driven_audio),
        "result_dir": str(job.result_dir), **{key: str(value) for key, value in job.options.items()},
    }  # fmt: skip
    arguments = [token.format(**values) for token in shlex.split(config.command)]
    if job.options["still"]:
        arguments.append("--still")
    if job.options["enhancer"] != "none":
        arguments += ["--enhancer", job.options["enhancer"]]
    job.result_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        arguments, cwd=config.sadtalker_dir or None, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def process_group_stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole group, SIGKILL after a grace period; returns once the command is gone."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # children that outlived the leader
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def gpu_state() -> list[dict] | None:
    """nvidia-smi's view of each GPU, or None when there is no nvidia-smi (or it fails)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    query = "name,memory.total,memory.used,utilization.gpu"
    try:
        output = subprocess.run(
            [smi, f"--query-gpu={query}", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=3, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    gpus = []
    for line in output.strip().splitlines():
        name, total, used, utilization = [part.strip() for part in line.split(",")][:4]
        gpus.append({"name": name, "memory_total_mb": _number(total), "memory_used_mb": _number(used),
                     "utilization_percent": _number(utilization)})  # fmt: skip
    return gpus


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# --- the request body --------------------------------------------------------------------------
def multipart_parse(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """(fields, files) of a multipart/form-data body, with the email package (cgi is gone in 3.13)."""
    if not content_type.startswith("multipart/form-data"):
        raise BadField("body", "send multipart/form-data")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise BadField("body", "not a readable multipart/form-data body")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields[name] = payload.decode("utf-8", "replace").strip()
    return fields, files


def _choice(fields: dict, name: str, choices: tuple, default):
    value = fields.get(name, str(default))
    for choice in choices:
        if value == str(choice):
            return choice
    raise BadField(name, f"must be one of {', '.join(str(choice) for choice in choices)}, not {value!r}")


def _bounded(fields: dict, name: str, kind, bounds: tuple, default):
    text = fields.get(name, str(default))
    try:
        value = kind(text)
    except ValueError:
        raise BadField(name, f"must be a number, not {text!r}") from None
    if not bounds[0] <= value <= bounds[1]:
        raise BadField(name, f"must be between {bounds[0]} and {bounds[1]}, not {value}")
    return value


def _flag(fields: dict, name: str) -> bool:
    value = fields.get(name, "false").lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise BadField(name, f"must be true or false, not {value!r}")


def _sniffed(files: dict, name: str, magic: tuple, what: str) -> tuple[bytes, str]:
    data = files.get(name)
    if not data:
        raise BadField(name, f"the {what} file is missing")
    for prefix, extension in magic:
        if data.startswith(prefix):
            return data, extension
    if name == "source_image" and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return data, "webp"
    raise BadField(name, f"not a {what} this service reads")


def job_options(fields: dict) -> dict:
    return {
        "size": _choice(fields, "size", SIZES, 256),
        "still": _flag(fields, "still"),
        "preprocess": _choice(fields, "preprocess", PREPROCESS_CHOICES, "crop"),
        "enhancer": _choice(fields, "enhancer", ENHANCER_CHOICES, "none"),
        "pose_style": _bounded(fields, "pose_style", int, POSE_STYLE_RANGE, 0),
        "expression_scale": _bounded(fields, "expression_scale", float, EXPRESSION_SCALE_RANGE, 1.0),
    }


# --- HTTP ----------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    server_version = "seidra-sadtalker/1"
    queue: JobQueue  # set on the class by main()
    config: argparse.Namespace

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {self.address_string()} {format % args}\n")
        sys.stderr.flush()

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, **extra) -> None:
        self._json(status, {"error": message, **extra})

    def _route(self) -> tuple[str | None, str | None]:
        """(job id, sub-resource) of /v1/jobs/{id}[/video]."""
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v1", "jobs"]:
            return parts[2], "/".join(parts[3:]) or None
        return None, None

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        path = self.path.split("?")[0].rstrip("/")
        if path == "/health":
            self._json(200, {"status": "ok", "queue": self.queue.counts(), "gpu": gpu_state()})
            return
        job_id, sub = self._route()
        if job_id is None or sub not in (None, "video"):
            self._error(404, f"no such resource: {path}")
            return
        summary = self.queue.summary(job_id)
        if summary is None:
            self._error(404, f"no job {job_id} (never submitted, cancelled, or removed after the retention time)")
            return
        if sub is None:
            self._json(200, summary)
            return
        job = self.queue.get(job_id)
        if summary["status"] != "succeeded" or job is None or job.video is None:
            self._error(409, f"job {job_id} is {summary['status']}: its video exists once it has succeeded")
            return
        try:
            handle = job.video.open("rb")
        except OSError:
            self._error(404, f"job {job_id}'s video was removed")
            return
        with handle:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
            self.end_headers()
            shutil.copyfileobj(handle, self.wfile)

    def do_DELETE(self) -> None:  # noqa: N802
        job_id, sub = self._route()
        if job_id is None or sub is not None:
            self._error(404, f"no such resource: {self.path}")
            return
        forgotten = self.queue.forget(job_id)
        if forgotten is None:
            self._error(404, f"no job {job_id}")
            return
        self._json(200, forgotten)

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?")[0].rstrip("/") != "/v1/jobs":
            self._error(404, f"no such resource: {self.path}")
            return
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length <= 0:
            self._error(411, "send a Content-Length and a multipart/form-data body")
            return
        if length > self.config.max_upload_mb * 1024 * 1024:
            self._error(413, f"the body is over {self.config.max_upload_mb} MB (--max-upload-mb)")
            return
        body = self.rfile.read(length)
        try:
            fields, files = multipart_parse(self.headers.get("Content-Type", ""), body)
            options = job_options(fields)
            image, image_extension = _sniffed(files, "source_image", IMAGE_MAGIC, "PNG, JPEG, WebP or BMP image")
            audio, audio_extension = _sniffed(files, "driven_audio", AUDIO_MAGIC, "WAV, MP3, OGG or FLAC audio")
        except BadField as error:
            self._error(error.status, str(error), field=error.field)
            return
        job_id = uuid.uuid4().hex
        directory = Path(self.config.work_dir) / job_id
        directory.mkdir(parents=True)
        job = Job(
            id=job_id, directory=directory, options=options,
            source_image=directory / f"source.{image_extension}", driven_audio=directory / f"audio.{audio_extension}",
        )  # fmt: skip
        job.source_image.write_bytes(image)
        job.driven_audio.write_bytes(audio)
        if not self.queue.add(job):
            shutil.rmtree(directory, ignore_errors=True)
            self._json(
                503, {"error": f"the queue is full ({self.config.max_pending} jobs waiting): try again later"},
                headers={"Retry-After": "5"},
            )  # fmt: skip
            return
        self._json(202, {"id": job_id, "status": "queued"})


def janitor(queue: JobQueue, every: float) -> None:
    while True:
        time.sleep(every)
        queue.expire()


def arguments_parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SadTalker as an HTTP service for SEIDRA (one job at a time, a queue); see README.md here.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "The command template may use {python} {source_image} {driven_audio} {result_dir} {size}\n"
            "{preprocess} {pose_style} {expression_scale}; --still and --enhancer NAME are appended when the\n"
            "job asks for them. It runs in --sadtalker-dir, in its own process group (a cancel kills it all).\n"
            "Progress comes from the percentages (tqdm bars) it prints; the video is the newest .mp4 it\n"
            "writes under {result_dir}.\n\n"
            "No authentication: bind to the LAN address SEIDRA reaches and keep the port behind a firewall."
        ),
    )  # fmt: skip
    parser.add_argument(
        "--host",
        default=os.environ.get("SADTALKER_HOST", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1; the GPU box's LAN address to serve SEIDRA)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("SADTALKER_PORT", DEFAULT_PORT)),
        help=f"port (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--sadtalker-dir",
        default=os.environ.get("SADTALKER_DIR", ""),
        help="SadTalker's checkout (holds inference.py and checkpoints/); the command runs there",
    )
    parser.add_argument(
        "--python",
        default=os.environ.get("SADTALKER_PYTHON", sys.executable),
        help="the {python} of the command (default: the interpreter running this server)",
    )
    parser.add_argument(
        "--command",
        default=os.environ.get("SADTALKER_COMMAND", DEFAULT_COMMAND),
        help=f"command template (env SADTALKER_COMMAND; default: {DEFAULT_COMMAND!r})",
    )
    parser.add_argument(
        "--work-dir",
        default=os.environ.get("SADTALKER_WORK_DIR", ""),
        help="where each job's uploads and results live (default: a new temporary directory)",
    )
    parser.add_argument(
        "--max-pending",
        type=int,
        default=int(os.environ.get("SADTALKER_MAX_PENDING", 8)),
        help="jobs allowed to wait besides the running one; more get 503 (default 8)",
    )
    parser.add_argument(
        "--retention",
        type=float,
        default=float(os.environ.get("SADTALKER_RETENTION", 3600)),
        help="seconds a finished job (and its video) is kept before its files are removed (default 3600)",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=int,
        default=int(os.environ.get("SADTALKER_MAX_UPLOAD_MB", 60)),
        help="largest request body accepted, in MB (default 60)",
    )
    return parser.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    config = arguments_parse(argv)
    if config.sadtalker_dir and not Path(config.sadtalker_dir).is_dir():
        sys.exit(f"--sadtalker-dir {config.sadtalker_dir}: no such directory")
    config.work_dir = config.work_dir or tempfile.mkdtemp(prefix="sadtalker-jobs-")
    Path(config.work_dir).mkdir(parents=True, exist_ok=True)
    queue = JobQueue(config)
    Handler.queue, Handler.config = queue, config
    server = ThreadingHTTPServer((config.host, config.port), Handler)
    server.daemon_threads = True
    runner = threading.Thread(target=queue.run_forever, name="runner", daemon=True)
    runner.start()
    threading.Thread(target=janitor, args=(queue, max(0.5, min(60.0, config.retention / 2))), daemon=True).start()

    def shutdown(signum, frame) -> None:
        # Stop the running command (its process group) before leaving; serve_forever ends on its thread.
        queue.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(
        f"SadTalker service on http://{config.host}:{config.port} (jobs in {config.work_dir})",
        file=sys.stderr,
        flush=True,
    )
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
