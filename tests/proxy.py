"""A forward proxy on 127.0.0.1, as Squid is to its clients: absolute-form requests for http
and CONNECT tunnels for https, optionally behind Basic credentials. It resolves the names it
is given (`hosts`, such as "ministry.test") that this machine cannot, so a page is reachable
through it and not without it. It records what it carried and the credentials it was sent."""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import threading
from urllib.parse import urlsplit


class ForwardProxy:
    def __init__(self, hosts: dict[str, str] | None = None, credentials: str | None = None):
        self.hosts = hosts or {}
        self.credentials = credentials  # "user:password" it asks for, or None
        self.carried: list[str] = []  # "GET http://…" and "CONNECT host:port", as asked
        self.authorizations: list[str | None] = []  # each request's Proxy-Authorization
        self.lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.rfile, self.connection)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url_with(self, credentials: str) -> str:
        return f"http://{credentials}@127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ForwardProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, rfile, client: socket.socket) -> None:
        while True:
            line = rfile.readline(65537).decode("latin-1")
            if not line.strip():
                return
            method, target, _ = line.split(" ", 2)
            headers = []
            while (header := rfile.readline(65537).decode("latin-1")) not in ("\r\n", "\n", ""):
                headers.append(header)
            named = {h.split(":", 1)[0].strip().lower(): h.split(":", 1)[1].strip()
                     for h in headers}
            with self.lock:
                self.carried.append(f"{method} {target}")
                self.authorizations.append(named.get("proxy-authorization"))
            if self.credentials and named.get("proxy-authorization") != "Basic " + \
                    base64.b64encode(self.credentials.encode()).decode():
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                               b"Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
                               b"Content-Length: 0\r\n\r\n")
                continue
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                upstream = self._connect(host, int(port))
                if upstream is None:
                    client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    return
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(client, upstream)
                return
            parts = urlsplit(target)
            upstream = self._connect(parts.hostname or "", parts.port or 80)
            if upstream is None:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            kept = [h for h in headers if not h.lower().startswith(("proxy-", "connection"))]
            path = parts.path or "/"
            request = f"{method} {path}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
            length = int(named.get("content-length", "0") or 0)
            body = rfile.read(length) if length else b""
            upstream.sendall((request + "".join(kept) + "Connection: close\r\n\r\n").encode(
                "latin-1") + body)
            self._pipe(client, upstream, until_upstream_closes=True)
            return

    def _connect(self, host: str, port: int) -> socket.socket | None:
        try:
            return socket.create_connection((self.hosts.get(host, host), port), timeout=10)
        except OSError:
            return None

    @staticmethod
    def _pipe(client: socket.socket, upstream: socket.socket,
              until_upstream_closes: bool = False) -> None:
        """Bytes both ways until one side closes (the upstream, for a forwarded request)."""
        ends = [client, upstream]
        try:
            while True:
                ready, _, _ = select.select(ends, [], [], 30)
                if not ready:
                    return
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is client else client).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()
            if until_upstream_closes:
                client.shutdown(socket.SHUT_RDWR)
