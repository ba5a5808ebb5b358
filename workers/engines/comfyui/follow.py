"""Following one prompt on its ComfyUI server until it ends: progress, previews, cancel, completion.

The websocket (`/ws?clientId=`) is opened BEFORE the prompt is submitted, so no message is missed;
ComfyUI sends a prompt's messages to the client id it was submitted with, and a new connection
with the same client id replaces the old one, so a follower that reconnects (or a resumed job)
hears the rest. Messages of other prompts on the same server are ignored.

Completion is robust: `execution_success` arrives before `/history/{id}` is written and
`executing` with `node: null` after it, and either may be lost with a dropped socket, so the end is
always read from /history (polled until written). Whenever the socket drops or stays silent for
SEIDRA_COMFYUI_SILENCE_SECONDS (text encoding on a CPU sends nothing for tens of seconds), the
server is asked directly: still queued or running -> keep following; in /history -> done; no
trace -> the prompt is lost (the server restarted), and the job fails saying so. A server that
stops answering fails the job with its URL once the same silence has passed without an answer.
"""

import json
import time
from collections.abc import Callable

import websocket

from apps.catalog.comfyui_client import ComfyClient, ComfyError, ComfyUnreachable
from workers.engines.base import ProgressHook
from workers.engines.errors import EngineError, GenerationCancelled

from .progress import ComfyProgress, StepCounter, preview_frame_image

# How long one wait for a message lasts: the job's cancel flag is read between waits.
POLL_SECONDS = 0.5
# While cancelling: how often the queue is read again (a prompt deleted while it was starting, or
# interrupted before ComfyUI cleared its interrupt flag at the prompt's start, needs a second go).
CANCEL_RETRY_SECONDS = 2.0
# Between reads of /history after the prompt said it succeeded.
HISTORY_POLL_SECONDS = 0.2
ERROR_DETAIL_CHARS = 500


class SocketLost(Exception):
    """The websocket closed or failed: reconnect and ask the server where the prompt is."""


def execution_error_message(url: str, data: dict) -> str:
    """One line from ComfyUI's `execution_error`: the node, its class and the exception."""
    exception = " ".join(str(data.get("exception_message") or "").split())[:ERROR_DETAIL_CHARS]
    kind = data.get("exception_type") or "error"
    return (
        f"ComfyUI at {url} failed in node {data.get('node_id', '?')} ({data.get('node_type', '?')}): "
        f"{kind}: {exception or 'no message'}"
    )


def history_outcome(url: str, entry: dict, *, step: int = 0) -> None:
    """Raise what a finished prompt's history says went wrong (its status messages); nothing if it succeeded."""
    status = entry.get("status") or {}
    if status.get("status_str", "success") == "success":
        return
    for event, data in status.get("messages") or []:
        if event == "execution_error":
            raise EngineError(execution_error_message(url, data))
        if event == "execution_interrupted":
            raise GenerationCancelled(step)
    raise EngineError(f"ComfyUI at {url} ended the prompt with status '{status.get('status_str')}'.")


class PromptFollower:
    def __init__(
        self,
        client: ComfyClient,
        *,
        prompt_id: str,
        client_id: str,
        samplers: list[str],
        silence_seconds: float,
        hook: ProgressHook | None = None,
        cancel_requested: Callable[[], bool] = lambda: False,
    ) -> None:
        self.client = client
        self.url = client.base_url
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.silence_seconds = silence_seconds
        self.hook = hook
        self.cancel_requested = cancel_requested
        self.counter = StepCounter(samplers)
        self.socket: websocket.WebSocket | None = None
        self.preview_bytes: bytes | None = None
        self.progress: ComfyProgress | None = None  # the last one handed to the hook
        self.cancelling_since: float | None = None

    # --- the socket ------------------------------------------------------------------------------
    def open(self) -> None:
        """Connect the websocket; EngineError naming the URL when the server does not answer."""
        socket = websocket.WebSocket()
        try:
            # No Origin header: ComfyUI refuses a foreign Origin on a loopback host.
            socket.connect(self.client.ws_url(self.client_id), timeout=self.client.timeout, suppress_origin=True)
        except (websocket.WebSocketException, OSError) as error:
            raise EngineError(self.client.unreachable(error).message) from error
        socket.settimeout(POLL_SECONDS)
        self.socket = socket

    def close(self) -> None:
        if self.socket is not None:
            try:
                self.socket.close(timeout=1)
            except (websocket.WebSocketException, OSError):
                pass  # already gone: nothing to release
            self.socket = None

    def _receive(self) -> dict | bytes | None:
        """The next message (JSON as a dict, binary as bytes), or None when none came within POLL_SECONDS."""
        if self.socket is None:
            raise SocketLost()
        try:
            opcode, data = self.socket.recv_data()
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketException, OSError) as error:
            raise SocketLost() from error
        if opcode == websocket.ABNF.OPCODE_TEXT:
            try:
                message = json.loads(data)
            except ValueError:
                return None  # not ComfyUI's: nothing to act on
            return message if isinstance(message, dict) else None
        if opcode == websocket.ABNF.OPCODE_BINARY:
            return bytes(data)
        raise SocketLost()  # a close frame

    def _reconnect(self) -> None:
        self.close()
        try:
            self.open()
        except EngineError:
            time.sleep(POLL_SECONDS)  # the server is asked next; its answer decides

    # --- asking the server -----------------------------------------------------------------------
    def _ask(self, call: Callable):
        """A REST call that survives a short outage: unreachable for SEIDRA_COMFYUI_SILENCE_SECONDS
        in a row fails the job naming the URL; any other answer the server refuses fails it at once."""
        first_failure = None
        while True:
            try:
                return call()
            except ComfyUnreachable as error:
                now = time.monotonic()
                first_failure = now if first_failure is None else first_failure
                if now - first_failure >= self.silence_seconds:
                    raise EngineError(error.message) from error
                time.sleep(POLL_SECONDS)
            except ComfyError as error:
                raise EngineError(error.message) from error

    def locate(self) -> tuple[str, dict | None]:
        """Where the prompt is now: ("queued", None), ("done", history entry) or ("absent", None)."""
        queue = self._ask(self.client.queue)
        if self.prompt_id in queue.running or self.prompt_id in queue.pending:
            return "queued", None
        entry = self._ask(lambda: self.client.history(self.prompt_id))
        if entry is not None:
            return "done", entry
        return "absent", None

    def _check_server(self) -> dict | None:
        """After silence or a lost socket: None while the prompt is queued or running, its history entry
        once it ended; EngineError when the server no longer knows it."""
        where, entry = self.locate()
        if where == "absent" and self.cancelling_since is not None:
            raise GenerationCancelled(self.counter.step)  # gone, as asked
        if where == "absent":
            raise EngineError(
                f"ComfyUI at {self.url} no longer knows prompt {self.prompt_id} (the server was restarted or "
                "its queue cleared): run the job again."
            )
        return entry

    def _history_wait(self) -> dict:
        # `execution_success` (or an error) is sent before the history entry is written: poll until it is.
        deadline = time.monotonic() + self.silence_seconds
        while True:
            entry = self._ask(lambda: self.client.history(self.prompt_id))
            if entry is not None:
                return entry
            if time.monotonic() >= deadline:
                raise EngineError(f"ComfyUI at {self.url} ended prompt {self.prompt_id} but wrote no history for it.")
            time.sleep(HISTORY_POLL_SECONDS)

    # --- cancel ----------------------------------------------------------------------------------
    def _cancel_wanted(self) -> bool:
        return (
            self.cancelling_since is not None
            or (self.progress is not None and self.progress.cancelled)
            or self.cancel_requested()
        )

    def _cancel(self) -> None:
        """Take the prompt off the server: deleted while waiting, interrupted while running (ComfyUI
        stops at the next node or sampler step). Raises GenerationCancelled once it is gone from the queue."""
        now = time.monotonic()
        if self.cancelling_since is not None and now - self.cancelling_since < CANCEL_RETRY_SECONDS:
            return
        self.cancelling_since = now
        try:
            queue = self._ask(self.client.queue)
            if self.prompt_id in queue.pending:
                self._ask(lambda: self.client.queue_delete([self.prompt_id]))
                queue = self._ask(self.client.queue)  # it may have started meanwhile
            if self.prompt_id in queue.running:
                self._ask(lambda: self.client.interrupt(self.prompt_id))
                return
        except EngineError as error:
            # The server stopped answering: nothing runs there for this job any more that SEIDRA
            # could stop, and the person asked for the job to end.
            raise GenerationCancelled(self.counter.step) from error
        if self.prompt_id not in queue.pending:
            raise GenerationCancelled(self.counter.step)

    # --- following -------------------------------------------------------------------------------
    def follow(self) -> dict:
        """Follow the submitted prompt to its end: its history entry when it succeeded; EngineError or
        GenerationCancelled otherwise."""
        last_heard = time.monotonic()
        while True:
            if self._cancel_wanted():
                self._cancel()
            try:
                message = self._receive()
            except SocketLost:
                self._reconnect()
                entry = self._check_server()
                if entry is not None:
                    return self.finished(entry)
                last_heard = time.monotonic()
                continue
            if message is None:
                if time.monotonic() - last_heard >= self.silence_seconds:
                    entry = self._check_server()
                    if entry is not None:
                        return self.finished(entry)
                    last_heard = time.monotonic()
                continue
            last_heard = time.monotonic()
            if self._handle(message):
                return self.finished(self._history_wait())

    def finished(self, entry: dict) -> dict:
        """The entry of a prompt that ended, once its status says it succeeded (and no cancel was asked)."""
        if self.cancelling_since is not None:
            raise GenerationCancelled(self.counter.step)  # interrupted, or it ended before the interrupt took hold
        history_outcome(self.url, entry, step=self.counter.step)
        return entry

    def _handle(self, message: dict | bytes) -> bool:
        """Act on one message; True when it says our prompt ended."""
        if isinstance(message, bytes):
            frame = preview_frame_image(message)
            if frame is not None:
                self.preview_bytes = frame
            return False
        kind, data = message.get("type"), message.get("data") or {}
        if not isinstance(data, dict) or data.get("prompt_id") != self.prompt_id:
            return False
        if kind == "progress":
            self._progress(data)
            return False
        if kind == "executing":
            return data.get("node") is None
        # An error or an interruption is sent before the prompt leaves the queue: its end is read
        # from /history too (finished() raises what it says), so the queue is empty when the job ends.
        return kind in ("execution_success", "execution_error", "execution_interrupted")

    def _progress(self, data: dict) -> None:
        counted = self.counter.count(node=data.get("node"), value=int(data["value"]), maximum=int(data["max"]))
        if counted is None or self.hook is None:
            return
        step, total = counted
        self.progress = ComfyProgress(step=step, total=total, preview_bytes=self.preview_bytes)
        self.hook(self.progress)
