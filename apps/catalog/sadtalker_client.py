"""HTTP calls to a SadTalker service (ops/sadtalker/server.py and its contract): the only place that
knows that API.

Used by the SadTalker engine in the workers (workers/video/sadtalker.py) and the health check.
Plain `requests`, no Django import. Transient failures (no connection, 502/503/504) are tried again
with a doubling pause; every failure ends as one of two errors whose message names the URL.
A POST that timed out waiting for its answer is not sent again: the service may have queued it.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import requests

DEFAULT_PORT = 8002
TRANSIENT_STATUSES = (502, 503, 504)
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class SadTalkerError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SadTalkerUnreachable(SadTalkerError):
    """No answer (refused, timed out, reset): the service is down or SEIDRA_SADTALKER_URL is wrong."""


class SadTalkerHttpError(SadTalkerError):
    """The service answered an error; `message` carries the body's `error`."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SadTalkerJobStatus:
    id: str
    status: str  # one of JOB_STATUSES
    progress: float  # 0..1
    error: str
    seconds: float | None  # how long the service's command has run (or ran)

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


class SadTalkerClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0, retries: int = 3, backoff: float = 0.5) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff  # seconds before the first retry, doubled each time
        self.session = requests.Session()

    def __repr__(self) -> str:
        return f"SadTalkerClient({self.base_url!r})"

    # --- transport ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, stream: bool = False, **kwargs) -> requests.Response:
        url = f"{self.base_url}{path}"
        attempts = self.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.session.request(method, url, timeout=self.timeout, stream=stream, **kwargs)
            except requests.ReadTimeout as error:
                if method == "POST" or last:  # a POST may have been queued: never send it twice
                    raise self._unreachable(error, attempt + 1) from error
            except requests.RequestException as error:
                if last:
                    raise self._unreachable(error, attempt + 1) from error
            else:
                if response.status_code not in TRANSIENT_STATUSES or last:
                    return response
                response.close()
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _unreachable(self, error: Exception, tries: int) -> SadTalkerUnreachable:
        return SadTalkerUnreachable(
            f"The SadTalker service at {self.base_url} is unreachable: {type(error).__name__} after "
            f"{tries} {'try' if tries == 1 else 'tries'}; is it running, and is SEIDRA_SADTALKER_URL right?"
        )

    def _check(self, response: requests.Response, method: str, path: str) -> requests.Response:
        if response.status_code < 400:
            return response
        try:
            message = str(response.json().get("error") or "")
        except (ValueError, AttributeError):
            message = ""
        message = message or response.text[:300].strip() or response.reason or "no message"
        response.close()
        raise SadTalkerHttpError(
            f"SadTalker answered {response.status_code} to {method} {self.base_url}{path}: {message}",
            status=response.status_code,
        )

    def _json(self, method: str, path: str, **kwargs) -> dict:
        response = self._check(self._request(method, path, **kwargs), method, path)
        try:
            body = response.json()
        except ValueError as error:
            raise SadTalkerHttpError(
                f"{self.base_url}{path} sent something other than JSON: is it a SadTalker service?",
                status=response.status_code,
            ) from error
        if not isinstance(body, dict):
            raise SadTalkerHttpError(f"{self.base_url}{path} sent JSON of another shape", status=response.status_code)
        return body

    # --- the contract ------------------------------------------------------------------------
    def health(self) -> dict:
        """{"status": "ok", "queue": {"running", "pending"}, "gpu": [...] | None}"""
        return self._json("GET", "/health")

    def job_submit(self, *, image: Path, audio: Path, options: dict) -> str:
        """Queue a job (options: size, still, preprocess, enhancer, pose_style, expression_scale); its id."""
        fields = {key: _form_value(value) for key, value in options.items()}
        # Bytes, not open files: a retry sends the whole body again (an image and a 30 s WAV are small).
        files = {"source_image": (image.name, image.read_bytes()), "driven_audio": (audio.name, audio.read_bytes())}
        body = self._json("POST", "/v1/jobs", data=fields, files=files)
        job_id = body.get("id")
        if not isinstance(job_id, str) or not job_id:
            raise SadTalkerHttpError(f"SadTalker at {self.base_url} queued a job without an id", status=202)
        return job_id

    def job_status(self, job_id: str) -> SadTalkerJobStatus:
        body = self._json("GET", f"/v1/jobs/{job_id}")
        status = str(body.get("status", ""))
        if status not in JOB_STATUSES:
            raise SadTalkerHttpError(
                f"SadTalker at {self.base_url} gave job {job_id} an unknown status {status!r}", status=200
            )
        seconds = body.get("seconds")
        return SadTalkerJobStatus(
            id=job_id, status=status, progress=min(1.0, max(0.0, float(body.get("progress") or 0))),
            error=str(body.get("error") or ""), seconds=float(seconds) if seconds is not None else None,
        )  # fmt: skip

    def job_video_download(self, job_id: str, target: Path) -> Path:
        path = f"/v1/jobs/{job_id}/video"
        response = self._check(self._request("GET", path, stream=True), "GET", path)
        try:
            with target.open("wb") as handle:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    handle.write(chunk)
        except requests.RequestException as error:
            raise self._unreachable(error, 1) from error
        finally:
            response.close()
        return target

    def job_cancel(self, job_id: str) -> None:
        """Cancel and forget the job on the service; one already gone (404) is fine."""
        path = f"/v1/jobs/{job_id}"
        response = self._request("DELETE", path)
        if response.status_code != 404:
            self._check(response, "DELETE", path)


def _form_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
