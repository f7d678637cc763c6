"""An httpx transport over urllib3's connection pool.

httpx's own pool (httpcore) serialises every request of a client through one lock and walks
its list of connections each time; with a hundred or more threads on one host that costs
3-5 s of CPU per 1,000 requests here (bench/fetch_cycle.py), against 0.8 s through urllib3's
per-host queues. httpx's requests and responses still carry everything above the wire —
decoding, timeouts, the `Response` we read (redirects are the fetcher's) — so only this class
knows urllib3 exists.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator

import httpx
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.connection import create_connection

from . import proxies
from .boundary import Allowance

#: A request's extension naming it one the operator did not write: its connections are made
#: only to addresses the boundary lets it reach (`boundary`).
GUARDED = "docwatch.guarded"
#: A request's extension naming the proxy it goes through (`proxies`), credentials included.
PROXY = "docwatch.proxy"


class Blocked(httpx.ConnectError):
    """A connection the boundary refused: the address is inward and not allowed."""


class ProxyFailed(httpx.ConnectError):
    """The proxy could not be reached, or refused to carry the request."""


class _Refused(NewConnectionError):
    def __init__(self, conn: HTTPConnection, why: str):
        super().__init__(conn, why)
        self.why = why


def _refusal(allowance: Allowance, host: str, found: list) -> str | None:
    for *_, address in found:
        if why := allowance.refuses(host, address[0]):
            return (f"{host} is {why} ({address[0]}), which a URL the page chose may not "
                    "reach")
    return None


def _guarded(base: type[HTTPConnection], allowance: Allowance) -> type[HTTPConnection]:
    """`base` whose connections resolve the host, refuse it if any of its addresses is inward
    and not allowed, and connect to the very address checked: a name that resolves inward,
    now or only at the second lookup (DNS rebinding), never reaches it."""

    class Guarded(base):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            try:
                found = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror as e:
                raise NameResolutionError(self.host, self, e) from e
            if why := _refusal(allowance, self.host, found):
                raise _Refused(self, why)
            try:
                return create_connection((found[0][4][0], self.port), self.timeout,
                                         source_address=self.source_address,
                                         socket_options=self.socket_options)
            except TimeoutError as e:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from e
            except OSError as e:
                raise NewConnectionError(self, f"Failed to establish a new connection: {e}") from e

    return Guarded


class _Body(httpx.SyncByteStream):
    def __init__(self, response: urllib3.BaseHTTPResponse, request: httpx.Request):
        self.response = response
        self.request = request
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            # Raw bytes (httpx decodes gzip/deflate/br itself), as they arrive: `read1` returns
            # what one read of the socket gave, where `stream` waits for 64 KB, so a server
            # trickling its page cannot keep the caller from checking its deadline.
            while chunk := self.response.read1(65536, decode_content=False):
                yield chunk
            self.done = True
        except ReadTimeoutError as e:
            raise httpx.ReadTimeout(str(e), request=self.request) from None
        except ProtocolError as e:
            raise httpx.RemoteProtocolError(_incomplete(e), request=self.request) from None
        except HTTPError as e:
            raise httpx.ReadError(str(e), request=self.request) from None

    def close(self) -> None:
        if not self.done:  # a body left unread (too large, an error page): not reusable
            self.response.close()
        self.response.release_conn()


class Urllib3Transport(httpx.BaseTransport):
    """httpx requests over urllib3 connections, `maxsize` kept per site: thread-friendly pooling."""

    def __init__(self, maxsize: int = 10, allow: Allowance = Allowance(),
                 ssl_context: ssl.SSLContext | None = None):
        self.maxsize = maxsize
        self.allow = allow
        self.ssl_context = ssl_context  # a private CA's, besides the system's (`ca_bundle`)
        self.connections = {False: (HTTPConnection, HTTPSConnection),
                            True: (_guarded(HTTPConnection, allow), _guarded(HTTPSConnection, allow))}
        # A pool per site, kept for the whole run: urllib3's PoolManager keeps ten and closes
        # the others', so with more sites than that each check opened a new connection (and
        # its pool lookup, a URL parse and a key built per request, was a tenth of a 304).
        self.pools: dict[tuple[str, str, int | None, bool], urllib3.HTTPConnectionPool] = {}
        self.proxies: dict[str, urllib3.ProxyManager] = {}
        self.lock = threading.Lock()

    def _pool(self, url: httpx.URL, guarded: bool = False) -> urllib3.HTTPConnectionPool:
        key = (url.scheme, url.raw_host.decode("ascii"), url.port, guarded)  # IDNA as punycode
        pool = self.pools.get(key)
        if pool is None:
            with self.lock:
                pool = self.pools.get(key)
                if pool is None:
                    kind = {"http": urllib3.HTTPConnectionPool,
                            "https": urllib3.HTTPSConnectionPool}.get(url.scheme)
                    if kind is None:
                        raise httpx.UnsupportedProtocol(f"{url.scheme!r} is not HTTP")
                    tls = {"ssl_context": self.ssl_context} if url.scheme == "https" else {}
                    pool = self.pools[key] = kind(key[1], url.port, maxsize=self.maxsize,
                                                  block=False, retries=False, **tls)
                    pool.ConnectionCls = self.connections[guarded][url.scheme == "https"]
        return pool

    def _proxied(self, proxy: str) -> urllib3.ProxyManager:
        """The pools through one proxy (a CONNECT tunnel for https, absolute URLs for http)."""
        manager = self.proxies.get(proxy)
        if manager is None:
            with self.lock:
                manager = self.proxies.get(proxy)
                if manager is None:
                    who = proxies.credentials(proxy)
                    manager = self.proxies[proxy] = urllib3.ProxyManager(
                        proxies.without_credentials(proxy), num_pools=10_000,
                        proxy_headers=urllib3.make_headers(proxy_basic_auth=who) if who else None,
                        maxsize=self.maxsize, block=False, retries=False,
                        ssl_context=self.ssl_context)
        return manager

    def _urlopen(self, request: httpx.Request, **kw) -> urllib3.BaseHTTPResponse:
        url, proxy = request.url, request.extensions.get(PROXY)
        guarded = bool(request.extensions.get(GUARDED))
        if proxy is None:
            return self._pool(url, guarded).urlopen(request.method, url.raw_path.decode("ascii"),
                                                    **kw)
        if guarded:  # the proxy resolves the name: judge what it resolves to here, if it does
            host = url.raw_host.decode("ascii")
            try:
                found = socket.getaddrinfo(host, url.port or 443, type=socket.SOCK_STREAM)
            except socket.gaierror:
                found = []  # a name only the proxy knows: the proxy's own rules decide
            if why := _refusal(self.allow, host, found):
                raise Blocked(why, request=request)
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"{url.scheme!r} is not HTTP")
        try:
            return self._proxied(proxy).urlopen(request.method, str(url), assert_same_host=False,
                                                **kw)
        except (ProxyError, MaxRetryError) as e:
            reason = getattr(e, "reason", None) if isinstance(e, MaxRetryError) else e
            if not isinstance(reason, ProxyError):
                raise
            raise ProxyFailed(f"the proxy {proxies.shown(proxy)} "
                              f"{_proxy_reason(reason)}", request=request) from None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = urllib3.Timeout(connect=timeouts.get("connect"), read=timeouts.get("read"))
        try:
            response = self._urlopen(
                request,
                headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw},
                body=request.read() or None, redirect=False, retries=False,
                preload_content=False, decode_content=False, timeout=timeout,
            )
        except (NewConnectionError, MaxRetryError) as e:  # before its base ConnectTimeoutError
            refused = e if isinstance(e, _Refused) else getattr(e, "reason", None)
            if isinstance(refused, _Refused):
                raise Blocked(refused.why, request=request) from None
            raise httpx.ConnectError(_reason(e), request=request) from None
        except ConnectTimeoutError as e:
            raise httpx.ConnectTimeout(str(e), request=request) from None
        except ReadTimeoutError as e:
            raise httpx.ReadTimeout(str(e), request=request) from None
        except SSLError as e:
            raise httpx.ConnectError(f"SSL: {e}", request=request) from None
        except ProtocolError as e:
            raise httpx.RemoteProtocolError(_incomplete(e), request=request) from None
        except HTTPError as e:
            raise httpx.TransportError(str(e), request=request) from None
        return httpx.Response(
            response.status, headers=list(response.headers.items()),
            stream=_Body(response, request), request=request,
            extensions={"http_version": b"HTTP/1.1",
                        "reason_phrase": (response.reason or "").encode("ascii", "replace")},
        )

    def close(self) -> None:
        with self.lock:
            pools, self.pools = list(self.pools.values()), {}
            managers, self.proxies = list(self.proxies.values()), {}
        for pool in pools:
            pool.close()
        for manager in managers:
            manager.clear()


def _reason(e: Exception) -> str:
    return str(getattr(e, "reason", None) or e)


def _proxy_reason(e: ProxyError) -> str:
    """Why a proxy failed, in the operator's words (urllib3's quote its connection objects)."""
    text = str(getattr(e, "original_error", None) or e)
    if "407" in text:
        return "asks for credentials (407): give them in the proxy URL, user:password@"
    if "Tunnel connection failed" in text:
        return "would not open a tunnel: " + text.split("Tunnel connection failed:", 1)[1].strip()
    if "refused" in text.lower():
        return "refused the connection"
    return "could not be reached: " + text.rsplit(": ", 1)[-1].strip(" )'\"")


def _incomplete(e: Exception) -> str:
    text = str(e)
    if "IncompleteRead" in text or "incomplete" in text.lower():
        return "incomplete body: the connection closed before the declared length"
    return text
