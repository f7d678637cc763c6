"""A scriptable HTTP server on 127.0.0.1 for tests: per-path responses, delays and faults,
and a request log tests can wait on (no sleeps)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0  # seconds before answering
    # Full control of the socket for faults (truncated bodies, endless streams, ...).
    raw: Callable[[BaseHTTPRequestHandler], None] | None = None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up mid-answer are what the fault tests are about


class Server:
    """`server.put(path, Response(...))`; `server.wait(path, n)` blocks until n requests came.

    On 127.0.0.1 unless another loopback `address` stands for another host; HTTPS with `tls`
    (a server-side `ssl.SSLContext`, such as one trustme's CA signed)."""

    def __init__(self, address: str = "127.0.0.1", tls=None) -> None:
        self.responses: dict[str, Response] = {}
        self.requests: dict[str, list[float]] = defaultdict(list)
        self.headers: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_in_flight: dict[str, int] = defaultdict(int)
        self.in_flight_total = self.max_in_flight_total = 0  # over all paths: the site's load
        self.connections = 0  # TCP connections accepted: keep-alive reuses one
        self.changed = threading.Condition()
        self.closing = threading.Event()  # ends every slow answer at shutdown
        self.address, self.scheme = address, "https" if tls else "http"
        self.httpd = _QuietServer((address, 0), self._handler())
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.closing.is_set():
            return
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str, host: str | None = None) -> str:
        """The URL of `path`; `host`: by a name that stands for this server (a proxy's)."""
        return f"{self.scheme}://{host or self.address}:{self.port}{path}"

    def put(self, path: str, response: Response | bytes) -> None:
        self.responses[path] = response if isinstance(response, Response) else Response(response)

    def count(self, path: str) -> int:
        with self.changed:
            return len(self.requests[path])

    def wait(self, path: str, n: int, timeout: float = 20) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.requests[path]) >= n, timeout):
                raise TimeoutError(f"{path}: {len(self.requests[path])} of {n} requests came")

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server.changed:
                    server.connections += 1

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                with server.changed:
                    server.requests[path].append(time.monotonic())
                    server.headers[path].append(dict(self.headers))
                    server.in_flight[path] += 1
                    server.max_in_flight[path] = max(server.max_in_flight[path],
                                                     server.in_flight[path])
                    server.in_flight_total += 1
                    server.max_in_flight_total = max(server.max_in_flight_total,
                                                     server.in_flight_total)
                    server.changed.notify_all()
                try:
                    self._answer(server.responses.get(path))
                finally:
                    with server.changed:
                        server.in_flight[path] -= 1
                        server.in_flight_total -= 1

            def _answer(self, r: Response | None) -> None:
                if r is None:
                    r = Response(b"not found", 404)
                if r.delay:
                    server.closing.wait(r.delay)  # a slow server, cut short when the test ends
                if r.raw:
                    r.raw(self)
                    return
                self.send_response(r.status)
                for k, v in r.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.body)))
                self.end_headers()
                try:
                    self.wfile.write(r.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        return Handler
