"""HTTP calls to one ComfyUI server: the only place that knows ComfyUI's REST API.

Used by the catalog refresh (checkpoints and LoRAs of each server), the health check and the
ComfyUI engine in the workers. Plain `requests`, no Django import, no torch: a `comfyui` worker
runs on any host. Every failure is one of three errors whose message a person can act on (it
names the server's URL).

API facts (checked against ComfyUI 0.3.64, see the README's ComfyUI section): no authentication;
`POST /prompt` answers {prompt_id, number, node_errors} or 400 with `error` and `node_errors`;
`GET /history/{id}` is written after `execution_success` is sent; `POST /queue {"delete": [id]}`
removes a waiting prompt, `POST /interrupt {"prompt_id": id}` stops a running one.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

DEFAULT_PORT = 8188


class ComfyError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ComfyUnreachable(ComfyError):
    """No answer (refused, timed out, reset): the server is down or the URL is wrong."""


class ComfyHttpError(ComfyError):
    """An HTTP error other than a rejected prompt."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ComfyPromptRejected(ComfyError):
    """`POST /prompt` answered 400: `node_errors` names each node and what is wrong with it."""

    def __init__(self, message: str, *, node_errors: dict) -> None:
        super().__init__(message)
        self.node_errors = node_errors


def comfyui_urls_parse(value: str) -> list[str]:
    """SEIDRA_COMFYUI_URL: one or several base URLs, comma-separated; a bare host gets http:// and port 8188."""
    urls = []
    for raw in value.split(","):
        raw = raw.strip().rstrip("/")
        if not raw:
            continue
        if "://" not in raw:
            raw = f"http://{raw}"
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"SEIDRA_COMFYUI_URL: '{raw}' is not an http(s) URL such as http://gpu-box:8188")
        netloc = parts.netloc if parts.port else f"{parts.netloc}:{DEFAULT_PORT}"
        url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        if url not in urls:
            urls.append(url)
    return urls


@dataclass(frozen=True)
class QueueState:
    running: tuple[str, ...]  # prompt ids being executed
    pending: tuple[str, ...]  # prompt ids waiting, in order

    @property
    def length(self) -> int:
        return len(self.running) + len(self.pending)


def _prompt_message(url: str, body: dict) -> str:
    """One line from a 400 of POST /prompt: the error, then each failing node's class and reason."""
    error = body.get("error") or {}
    parts = [error.get("message") or "prompt refused"]
    if error.get("details"):
        parts[0] += f": {error['details']}"
    for node_id, node in (body.get("node_errors") or {}).items():
        reasons = "; ".join(
            f"{item.get('message', '')}{': ' + item['details'] if item.get('details') else ''}"
            for item in node.get("errors", [])
        )
        parts.append(f"node {node_id} ({node.get('class_type', '?')}): {reasons}")
    return f"ComfyUI at {url} refused the workflow: " + " - ".join(parts)


class ComfyClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def __repr__(self) -> str:
        return f"ComfyClient({self.base_url!r})"

    # --- transport ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, timeout: float | None = None, **kwargs) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as error:
            raise self.unreachable(error) from error
        return response

    def unreachable(self, error: Exception) -> ComfyUnreachable:
        """The one wording of "no answer", for REST calls and the websocket alike."""
        return ComfyUnreachable(
            f"ComfyUI at {self.base_url} is unreachable ({type(error).__name__}): is the server running "
            "and SEIDRA_COMFYUI_URL right?"
        )

    def _json(self, method: str, path: str, **kwargs):
        response = self._request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ComfyHttpError(
                f"ComfyUI at {self.base_url} answered {response.status_code} to {method} {path}: "
                f"{response.text[:300].strip()}",
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError as error:
            raise ComfyHttpError(
                f"ComfyUI at {self.base_url} sent something other than JSON for {path}", status=response.status_code
            ) from error

    def ws_url(self, client_id: str) -> str:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws", urlencode({"clientId": client_id}), ""))

    # --- reads -------------------------------------------------------------------------------
    def system_stats(self) -> dict:
        """{"system": {"comfyui_version", "python_version", ...}, "devices": [{name, type, vram_total, vram_free}]}"""
        return self._json("GET", "/system_stats")

    def queue(self) -> QueueState:
        body = self._json("GET", "/queue")
        # Each entry is [number, prompt_id, prompt, extra_data, outputs_to_execute].
        return QueueState(
            running=tuple(entry[1] for entry in body.get("queue_running", [])),
            pending=tuple(entry[1] for entry in sorted(body.get("queue_pending", []), key=lambda entry: entry[0])),
        )

    def object_info(self, node_class: str) -> dict:
        return self._json("GET", f"/object_info/{node_class}").get(node_class, {})

    def _input_choices(self, node_class: str, input_name: str) -> list[str]:
        required = self.object_info(node_class).get("input", {}).get("required", {})
        spec = required.get(input_name) or [[]]
        choices = spec[0]
        if isinstance(choices, str) and len(spec) > 1:  # newer servers: ["COMBO", {"options": [...]}]
            choices = spec[1].get("options", [])
        return [str(choice) for choice in choices] if isinstance(choices, list) else []

    def checkpoints(self) -> list[str]:
        return self._input_choices("CheckpointLoaderSimple", "ckpt_name")

    def loras(self) -> list[str]:
        return self._input_choices("LoraLoader", "lora_name")

    def history(self, prompt_id: str) -> dict | None:
        """The prompt's history entry ({status, outputs, prompt}) once written, else None."""
        return self._json("GET", f"/history/{prompt_id}").get(prompt_id)

    def view(self, *, filename: str, subfolder: str = "", folder_type: str = "output") -> bytes:
        response = self._request(
            "GET", "/view", params={"filename": filename, "subfolder": subfolder, "type": folder_type}
        )
        if response.status_code != 200:
            raise ComfyHttpError(
                f"ComfyUI at {self.base_url} could not send output {filename} ({response.status_code})",
                status=response.status_code,
            )
        return response.content

    # --- writes ------------------------------------------------------------------------------
    def prompt_submit(self, *, workflow: dict, prompt_id: str, client_id: str) -> dict:
        """Queue an API-format workflow under our own prompt id; ComfyPromptRejected names the bad nodes."""
        response = self._request(
            "POST", "/prompt", json={"prompt": workflow, "prompt_id": prompt_id, "client_id": client_id}
        )
        if response.status_code == 400:
            try:
                body = response.json()
            except ValueError:
                body = {"error": {"message": response.text[:300]}}
            raise ComfyPromptRejected(_prompt_message(self.base_url, body), node_errors=body.get("node_errors") or {})
        if response.status_code >= 400:
            raise ComfyHttpError(
                f"ComfyUI at {self.base_url} answered {response.status_code} to POST /prompt: {response.text[:300]}",
                status=response.status_code,
            )
        return response.json()

    def queue_delete(self, prompt_ids: list[str]) -> None:
        self._request("POST", "/queue", json={"delete": prompt_ids})

    def interrupt(self, prompt_id: str) -> None:
        self._request("POST", "/interrupt", json={"prompt_id": prompt_id})
