"""A real websocket client on the session's daphne (`asgi_server`), reading in a thread as a browser does."""

import json
import queue
import threading
import time

from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


def open_socket(server, path: str, user) -> ClientConnection:
    url = server.url.replace("http://", "ws://") + path
    token = AccessToken.for_user(user)
    # legacy=True: websockets' documented way to hold a connection outside a `with` block (callers close it).
    return connect(
        url, additional_headers={"Authorization": f"Bearer {token}"}, origin=server.url, open_timeout=5, legacy=True
    )


class LiveSocket:
    """A websocket client that keeps reading (and answering daphne's pings), as a browser does."""

    def __init__(self, server, path: str, user) -> None:
        self.socket = open_socket(server, path, user)
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for text in self.socket:  # the library answers daphne's pings meanwhile
                self.messages.put(json.loads(text))
        except (ConnectionClosed, OSError, ValueError):
            pass
        self.messages.put(None)

    def next_message(self, *, timeout: float) -> dict:
        message = self.messages.get(timeout=timeout)
        assert message is not None, "the socket closed"
        return message

    def next_snapshot(self, *, timeout: float) -> dict:
        """The next `jobs.snapshot` message (events in between are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.next_message(timeout=max(deadline - time.monotonic(), 0.01))
            if message["type"] == "jobs.snapshot":
                return message

    def job_events_until_final(self, job_id: str, *, timeout: float) -> list[dict]:
        """Every event of one job, up to and including its `job.finished`."""
        deadline, events = time.monotonic() + timeout, []
        while True:
            message = self.next_message(timeout=max(deadline - time.monotonic(), 0.01))
            if message.get("job", {}).get("id") != job_id:
                continue
            events.append(message)
            if message["type"] == "job.finished":
                return events

    def close(self) -> None:
        self.socket.close()
