"""A tiny HTTP server for reference-image URLs in tests: routes path -> (status, headers, body), each
request recorded as (path, Host header). Bind it to 127.0.0.2 (a loopback alias Linux answers without
setup) and let that through with SEIDRA_REFERENCE_FETCH_ALLOW=127.0.0.2/32; one on 127.0.0.1 stands
for the server's own network, which must never be reached."""

import http.server
import threading

HANG = "hang"  # a route's status that never answers (until the server stops)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.server.seen.append((self.path, self.headers.get("Host")))
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"missing"))
        if status == HANG:
            self.server.release.wait()
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ImageHost:
    def __init__(self, host: str, routes: dict | None = None) -> None:
        self.server = http.server.ThreadingHTTPServer((host, 0), _Handler)
        self.server.daemon_threads = True
        self.server.seen = []
        self.server.routes = dict(routes or {})
        self.server.release = threading.Event()
        self.routes = self.server.routes
        self.seen = self.server.seen
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"

    def start(self) -> "ImageHost":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.release.set()
        self.server.shutdown()
        self.server.server_close()
