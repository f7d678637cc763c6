"""Bytes and response metadata from a URL or a file; never parses. Failures are classified.

One `Fetcher` per process holds the HTTP transport (keep-alive connections; httpx's requests
and responses, compression included), a gate per host (at most `per_host` requests at once,
`min_delay` apart), the robots.txt rules it has read, and the retry policy: connect and read
errors, 429 and 503 are tried again with backoff, honouring Retry-After. Requests go through
the proxy `proxies` chooses, and trust the system's CAs and `[fetch] ca_bundle`'s. Every
failure is a `FetchError` with a `kind` for the fetch log: dns, connect, proxy, timeout, tls,
gone, blocked, robots, http_4xx, http_5xx, too_large, unsupported, truncated, redirect,
protocol, url.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

import httpx

from .. import __version__, proxies, redact
from ..boundary import home_of
from ..errors import FetchError
from ..models import Fetched, FetchSettings
from ..pdf import PDF_TYPES, is_pdf
from ..proxies import Proxies
from ..transport import GUARDED, PROXY, Urllib3Transport
from .faults import (BLOCK_PAGE_MAX, _block_marker, _head, _http_error, _retryable, _secs,
                     _transport_error)
from .gates import _Host
from .redirects import _basic_auth, _redirect_target, _same_site
from .refresh import meta_refresh
from .robots import RobotsCache

if TYPE_CHECKING:
    from ..browser import Rendered

USER_AGENT = f"docwatch/{__version__} (+https://github.com/docwatch/docwatch; page-change monitor)"
MAX_REDIRECTS = 10
_TIMEOUTS = ("connect", "read", "write", "pool")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")
_MAYBE_PDF = ("application/octet-stream", "binary/octet-stream")  # servers label PDFs so too
_ACCEPTED = _HTML_TYPES + PDF_TYPES + _MAYBE_PDF
DEADLINE_TIMEOUTS = 3  # a check's deadline, retries and backoff included, in page timeouts
MAX_DEFAULT_DEADLINE = 60.0  # ...and at most this: a stalled server holds a run a minute at most


@dataclass(frozen=True)
class Way:
    """How a check's URLs are reached: `home`, the host the operator wrote (a URL on another
    is guarded by the boundary; None: every URL is the operator's), and the source's own
    `proxy`."""

    home: str | None = None
    proxy: str | None = None


@dataclass(frozen=True)
class Relayed:
    """A rendering page's request, answered: status, headers as sent, the body decoded."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def tls_context(ca_bundle: str | None) -> ssl.SSLContext | None:
    """The system's CAs and a private CA's (`[fetch] ca_bundle`), or None for the default."""
    if not ca_bundle:
        return None
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_bundle)
    return context


def host_of(url: str) -> str:
    """The host a URL is on, as the per-host limits count it: "host[:port]", lower case."""
    return urlsplit(url).netloc.lower()


class Fetcher:
    """Fetches pages politely; share one per process (it is thread-safe)."""

    def __init__(self, settings: FetchSettings = FetchSettings(),
                 transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.user_agent = settings.user_agent or USER_AGENT
        # httpx's requests and responses (URLs, headers, content decoding) over the transport,
        # without `httpx.Client`: a page check needs nothing of its per-request machinery
        # (merged defaults, cookie jar, auth and redirect generators), and that was a fifth of
        # the CPU of a 304, a thousand of which make a steady cycle. `_open` follows redirects.
        self.transport = transport or Urllib3Transport(
            maxsize=max(1, settings.per_host), allow=settings.allow,
            ssl_context=tls_context(settings.ca_bundle))
        self.proxies = Proxies.from_environment(settings.proxy, settings.no_proxy)
        self.headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate",
                        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
        self._header_names = {k.lower(): k for k in self.headers}
        self.stopping = threading.Event()  # set to cut retry waits short
        self._hosts: dict[str, _Host] = {}
        self.robots = RobotsCache()
        self._lock = threading.Lock()
        self._browser = None  # started on the first page that needs one

    def close(self) -> None:
        self.stopping.set()
        self.transport.close()
        if self._browser is not None:
            self._browser.close()

    def deadline(self, timeout: float) -> float:
        """Seconds a whole check may take, retries and a browser's rendering included."""
        return self.settings.check_deadline or min(DEADLINE_TIMEOUTS * timeout,
                                                    MAX_DEFAULT_DEADLINE)

    def render(self, fetched: Fetched, *, timeout: float,
               headers: tuple[tuple[str, str], ...] = (), home: str | None = None,
               proxy: str | None = None) -> Rendered:
        """The page fetched as a browser shows it once its scripts have drawn it (see
        `browser`); its scripts' requests go through `relay`, so through the boundary too."""
        with self._lock:
            if self._browser is None:
                from ..browser import Browser

                self._browser = Browser(self.settings.browser, pages=self.settings.browser_pages,
                                        user_agent=self.user_agent, relay=self.relay,
                                        settle=self.settings.settle)
        return self._browser.render(fetched.final_url, fetched.body,
                                    content_type=fetched.content_type, timeout=timeout,
                                    headers=dict(headers), way=Way(home, proxy))

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, *, timeout: float = 30.0, etag: str | None = None,
            last_modified: str | None = None, robots: bool = True,
            headers: tuple[tuple[str, str], ...] = (), home: str | None = None,
            proxy: str | None = None) -> Fetched:
        """GET a page (a 304 comes back with an empty body); `FetchError` says why not.

        `home`: the host the operator wrote. A URL on another host (`url` itself for a linked
        document, any redirect's or `<meta refresh>`'s) reaches an inward address only if
        `[fetch] allow` lets it (`boundary`); without `home` every URL is the operator's.
        `proxy`: the source's own (`proxies`). A page that only sends the reader on (a `<meta
        refresh>` within `MAX_REFRESH_DELAY` seconds) is followed, as a browser would.
        """
        way = Way(home, proxy)
        fetched = self._attempts(url, dict(headers), timeout, robots, way, etag, last_modified)
        for _ in range(MAX_REDIRECTS):
            target = meta_refresh(fetched)
            if target is None:
                return fetched
            fetched = self._attempts(target, dict(headers), timeout, robots, way)
        raise FetchError("redirect", f"more than {MAX_REDIRECTS} <meta refresh> hops (a loop?)")

    def _attempts(self, url: str, headers: dict[str, str], timeout: float, robots: bool,
                  way: Way, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """`url`, tried again after a failure that may pass (`RETRYABLE`), within the check's
        deadline."""
        parts = urlsplit(url)
        if robots and not self._allowed(parts, url, timeout, way):
            raise FetchError("robots", "robots.txt disallows this page (set robots = false to override)")
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = self._host(parts.netloc.lower())
        allowed = self.deadline(timeout)
        deadline = None  # from the first attempt's start: waiting our turn at a site is no fault
        for attempt in range(self.settings.retries + 1):
            try:
                with host.slot(self.stopping):
                    deadline = deadline or time.monotonic() + allowed
                    return self._get_once(url, headers, timeout, deadline, way)
            except FetchError as e:
                if not _retryable(e):
                    raise
                if attempt == self.settings.retries:
                    if attempt:
                        raise FetchError(e.kind, f"{e}; {attempt + 1} attempts",
                                         e.status_code) from None
                    raise
                wait = e.retry_after if e.retry_after is not None else (
                    self.settings.backoff * 2 ** attempt)
                if wait > self.settings.max_retry_after:
                    raise FetchError(e.kind, f"{e}; asked to retry after {wait:.0f} s",
                                     e.status_code) from None
                if time.monotonic() + wait >= deadline:
                    raise FetchError(e.kind, f"{e}; {attempt + 1} attempt(s) within the check's "
                                     f"{allowed:g} s", e.status_code) from None
                if self.stopping.wait(wait):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def relay(self, method: str, url: str, headers: dict[str, str], body: bytes | None, *,
              timeout: float, way: Way) -> Relayed:
        """One request of a page being rendered (`browser`), made here so that it meets the
        same boundary, proxy and CAs as every other: its redirects followed, its body whole.
        `headers` as the browser would send them (in any case; they replace ours)."""
        ours = self._header_names
        headers = {ours.get(k.lower(), k): v for k, v in headers.items()}
        try:
            with self._host(host_of(url)).slot(self.stopping), \
                    self._open(url, headers, timeout, way, method, body) as response:
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > self.settings.max_bytes:
                        raise FetchError("too_large", "a resource over the "
                                         f"{self.settings.max_bytes / 1_048_576:.0f} MB limit")
                return Relayed(response.status_code, tuple(response.headers.multi_items()),
                               bytes(data))
        except httpx.TimeoutException:
            raise FetchError("timeout", f"no answer within {_secs(timeout)}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            raise _transport_error(e, url) from None

    def _get_once(self, url: str, headers: dict[str, str], timeout: float,
                  deadline: float, way: Way) -> Fetched:
        """One attempt, all of it (connect, headers, body) within `timeout` seconds and
        before the check's `deadline`."""
        started = time.monotonic()
        ends = min(started + timeout, deadline)
        cut = ends < started + timeout  # the check's deadline comes first
        timeout = ends - started
        max_bytes = self.settings.max_bytes
        body = bytearray()
        try:
            with self._open(url, headers, max(timeout, 0.001), way) as response:
                status = response.status_code
                if status >= 400:
                    head = _head(response) if status in (403, 429, 503) else b""
                    raise _http_error(status, response.reason_phrase, head,
                                      response.headers.get("retry-after"))
                ctype = response.headers.get("content-type")
                mime = (ctype or "").split(";")[0].strip().lower()
                if status != 304 and mime and mime not in _ACCEPTED:
                    raise FetchError("unsupported", f"content type {ctype.split(';')[0]} is not "
                                     "a web page or a PDF")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError("too_large", f"body of {int(declared) / 1_048_576:.0f} MB is over "
                                     f"the {max_bytes / 1_048_576:.0f} MB limit")
                for chunk in response.iter_bytes():  # decompressed: a gzip bomb stops here too
                    body += chunk
                    if time.monotonic() > ends:  # a trickle: every read is quick, the whole is not
                        raise FetchError("timeout", (
                            "the check's deadline came" if cut else
                            f"the page took over {_secs(timeout)}") + " while the page was "
                            f"arriving ({len(body):,} bytes by then)")
                    if len(body) > max_bytes:
                        compressed = response.headers.get("content-encoding")
                        raise FetchError("too_large", f"body over the {max_bytes / 1_048_576:.0f} MB "
                                         "limit" + (f" once decompressed ({compressed})"
                                                    if compressed else ""))
                if mime in _MAYBE_PDF and not is_pdf(bytes(body[:1024])):
                    raise FetchError("unsupported", f"content type {mime} and not a PDF")
                if len(body) <= BLOCK_PAGE_MAX and (marker := _block_marker(body)):
                    raise FetchError("blocked", "a bot-protection page was served instead of the "
                                     f"page ({marker!r})", status)
                return Fetched(
                    url=url, final_url=redact.source_url(str(response.url)), status_code=status,
                    body=bytes(body),
                    content_type=ctype, content_language=response.headers.get("content-language"),
                    etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
                    elapsed=time.monotonic() - started,
                )
        except FetchError:
            raise
        except httpx.TimeoutException:
            if body:
                raise FetchError("timeout", f"the body stalled after {len(body):,} bytes " + (
                    "until the check's deadline" if cut else
                    f"(nothing more for {_secs(timeout)})")) from None
            raise FetchError("timeout", f"no answer within {_secs(timeout)}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            raise _transport_error(e, url) from None

    @contextmanager
    def _open(self, url: str, headers: dict[str, str], timeout: float, way: Way = Way(),
              method: str = "GET", body: bytes | None = None) -> Iterator[httpx.Response]:
        """`method` `url` and follow its redirects (at most `MAX_REDIRECTS`), as a browser does:
        the last response, its body still to be read. Credentials in the URL log in with HTTP
        basic auth on that site only. Each hop goes through its proxy and meets the boundary."""
        target = httpx.URL(url)
        auth = _basic_auth(target)
        for _ in range(MAX_REDIRECTS + 1):
            extensions: dict = {"timeout": dict.fromkeys(_TIMEOUTS, timeout)}
            if way.home is not None and home_of(str(target)) != way.home:
                extensions[GUARDED] = True  # a URL the operator did not write
            proxy = self.proxies.for_url(str(target), way.proxy)
            if proxy:
                extensions[PROXY] = proxy
            request = httpx.Request(method, target, headers={**self.headers, **headers, **auth},
                                    content=body, extensions=extensions)
            response = self.transport.handle_request(request)
            response.request = request  # as httpx.Client does: a transport may have sent another
            if proxy and response.status_code == 407:
                response.close()
                raise FetchError("proxy", f"the proxy {proxies.shown(proxy)} asks for "
                                 "credentials (407): give them in the proxy URL, user:password@")
            if not response.has_redirect_location:
                break
            response.close()
            target = _redirect_target(request.url, response.headers["location"])
            if target.scheme not in ("http", "https"):
                raise FetchError("redirect", f"redirected to a {target.scheme or 'schemeless'} "
                                 "address, not a web page")
            auth = _basic_auth(target) or (auth if _same_site(target, request.url) else {})
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, body = "GET", None  # as browsers do; 307 and 308 keep both
                headers = {k: v for k, v in headers.items()
                           if k.lower() not in ("content-type", "content-length")}
        else:
            raise FetchError("redirect", f"more than {MAX_REDIRECTS} redirects (a loop?)")
        try:
            yield response
        finally:
            response.close()

    # --- politeness -----------------------------------------------------------------------
    def _host(self, key: str) -> _Host:
        """The gate of a host (`host_of` a URL)."""
        with self._lock:
            if key not in self._hosts:
                self._hosts[key] = _Host(self.settings.per_host, self.settings.min_delay)
            return self._hosts[key]

    def _allowed(self, parts: SplitResult, url: str, timeout: float, way: Way) -> bool:
        """Whether the site's robots.txt lets docwatch fetch `url` (read once a day per site)."""
        netloc = parts.netloc.rsplit("@", 1)[-1]  # robots.txt is public: no credentials
        site, host = f"{parts.scheme}://{netloc}", parts.netloc.lower()
        return self.robots.allows(site, url, lambda: self._read_robots(
            site, host, min(timeout, 10.0), way))

    def remember_robots(self, known: dict[str, tuple[float, str | None]]) -> None:
        """robots.txt files read before, by an earlier run (see `RobotsCache.remember`)."""
        self.robots.remember(known)

    def robots_to_keep(self) -> dict[str, tuple[float, str | None]]:
        """The robots.txt files read since last asked (see `RobotsCache.to_keep`)."""
        return self.robots.to_keep()

    def _read_robots(self, site: str, host: str, timeout: float, way: Way
                     ) -> tuple[str | None, bool]:
        """(the file, or None: every page allowed; whether that answer lasts a day).

        A missing file (4xx) allows everything for a day; a site that cannot be reached or
        answers 5xx is allowed for now and asked again on the next run.
        """
        try:
            with self._host(host).slot(self.stopping), \
                    self._open(f"{site}/robots.txt", {}, timeout, way) as response:
                response.read()
        except (httpx.HTTPError, FetchError):
            return None, False  # the page fetch will report a dead site itself
        if response.status_code >= 500:
            return None, False
        if response.status_code != 200 or len(response.content) > 512 * 1024:
            return None, True
        return response.text, True


def fetch(url: str, *, timeout: float = 30.0, robots: bool = False) -> Fetched:
    """One page with a throwaway `Fetcher` (for one-off use such as `docwatch diff`)."""
    with Fetcher(FetchSettings(retries=0)) as fetcher:
        return fetcher.get(url, timeout=timeout, robots=robots)


def read(target: str, *, timeout: float = 30.0) -> Fetched:
    """A URL or a local file, as `Fetched` (for `docwatch diff OLD NEW`)."""
    if target.startswith(("http://", "https://")):
        return fetch(target, timeout=timeout)
    path = Path(target)
    try:
        body = path.read_bytes()
    except OSError as e:
        raise FetchError("file", f"cannot read {target}: {e.strerror or e}") from None
    return Fetched(url=path.resolve().as_uri(), final_url=path.resolve().as_uri(), status_code=200,
                   body=body)
