"""Shared by the catalog's ComfyUI tests: a URL nothing listens on (a real closed port)."""

import socket


def closed_port_url() -> str:
    """http://127.0.0.1:<port> where the port was just free: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
