"""A tiny HTTP server on 127.0.0.1 that serves whatever page version the demo puts up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx


class Site:
    """Path -> (body, content type); swapped between checks."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.lock = threading.Lock()

    def put(self, path: str, body: bytes, content_type: str) -> None:
        with self.lock:
            self.pages[path] = (body, content_type)

    def get(self, path: str) -> tuple[bytes, str] | None:
        with self.lock:
            return self.pages.get(path)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            page = site.get(urlsplit(self.path).path)
            if page is None:
                self.send_error(404)
                return
            body, ctype = page
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # quiet: the demo prints its own story
            pass

    return Handler


@contextmanager
def serve(site: Site) -> Iterator[str]:
    """Serve `site` on an ephemeral 127.0.0.1 port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class LocalTransport(httpx.BaseTransport):
    """Send requests for the ministry hosts to the local server, keeping their real URLs.

    The demo's database then names the real pages, while nothing leaves 127.0.0.1.
    """

    def __init__(self, base: str) -> None:
        self.base = httpx.URL(base)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        local = httpx.Request(
            request.method,
            request.url.copy_with(scheme=self.base.scheme, host=self.base.host, port=self.base.port),
            headers=[(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
            + [(b"Host", f"{self.base.host}:{self.base.port}".encode())],
            stream=request.stream,
        )
        # httpx attaches the response to the original request, so URLs stay the real ones.
        return self.inner.handle_request(local)

    def close(self) -> None:
        self.inner.close()
