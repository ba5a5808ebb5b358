"""HTTP through Django's WSGI handler on a bounded pool of threads, inside the ASGI server.

Django's ASGI handler runs each request's sync middleware and view on a thread of its own
(a per-request ThreadSensitiveContext): a burst of requests starts as many threads, each with its
own database connection, and a FileResponse (a media download) is read whole into memory
because its iterator is synchronous. Here each request runs the whole WSGI cycle
(request_started, middleware, view, response.close() and request_finished, hence the database
connection clean-up) in one thread of a pool of SEIDRA_HTTP_THREADS: requests still overlap on
database I/O and password hashing, threads and connections stay bounded, files are streamed in
blocks. Websockets stay on Channels, on the event loop.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from asgiref.wsgi import WsgiToAsgiInstance

# Bigger than FileResponse's 4 KiB blocks: each block is one hop to the event loop.
FILE_BLOCK_SIZE = 256 * 1024


class _FileWrapper:
    """`wsgi.file_wrapper`: Django hands FileResponse files to it; read in large blocks, closed at the end."""

    def __init__(self, filelike, block_size: int = FILE_BLOCK_SIZE) -> None:
        self.filelike, self.block_size = filelike, block_size

    def __iter__(self):
        while block := self.filelike.read(self.block_size):
            yield block

    def close(self) -> None:
        if hasattr(self.filelike, "close"):
            self.filelike.close()


class ThreadPoolWsgiToAsgi:
    """An ASGI app for the "http" scope that runs a WSGI app on `threads` threads."""

    def __init__(self, wsgi_application, *, threads: int) -> None:
        if threads < 1:
            raise ValueError(f"SEIDRA_HTTP_THREADS must be at least 1, not {threads}")
        self.wsgi_application = wsgi_application
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seidra-http")

    async def __call__(self, scope, receive, send) -> None:
        await _Request(self.wsgi_application, self.executor)(scope, receive, send)


class _Request(WsgiToAsgiInstance):
    """asgiref's request adapter (body reading, environ, start_response) with two changes: the WSGI
    call runs on our pool instead of the single thread-sensitive one, and the response is closed
    (asgiref's never calls close(), so Django would never send request_finished)."""

    def __init__(self, wsgi_application, executor: ThreadPoolExecutor) -> None:
        super().__init__(wsgi_application)
        self.executor = executor

    async def run_wsgi_app(self, body) -> None:
        await sync_to_async(self._run, thread_sensitive=False, executor=self.executor)(body)

    def _run(self, body) -> None:
        try:
            environ = self.build_environ(self.scope, body)
        except ValueError:  # too many duplicate headers
            headers = [(b"content-type", b"text/plain")]
            self.sync_send({"type": "http.response.start", "status": 400, "headers": headers})
            self.sync_send({"type": "http.response.body", "body": b"Bad Request: too many duplicate headers"})
            return
        environ["wsgi.file_wrapper"] = _FileWrapper
        result = self.wsgi_application(environ, self.start_response)
        try:
            for output in result:
                if not output:
                    continue
                if not self.response_started:
                    self.response_started = True
                    self.sync_send(self.response_start)
                self.sync_send({"type": "http.response.body", "body": output, "more_body": True})
        finally:
            if hasattr(result, "close"):
                result.close()
        if not self.response_started:
            self.response_started = True
            self.sync_send(self.response_start)
        self.sync_send({"type": "http.response.body"})
