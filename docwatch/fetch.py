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

import base64
import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape as html_unescape
from functools import cached_property
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from . import __version__, proxies, redact
from .boundary import home_of
from .errors import FetchError, system_reason
from .models import Fetched, FetchSettings
from .pdf import PDF_TYPES, is_pdf
from .proxies import Proxies
if TYPE_CHECKING:
    from .browser import Rendered
from .transport import GUARDED, PROXY, Blocked, ProxyFailed, Urllib3Transport

USER_AGENT = f"docwatch/{__version__} (+https://github.com/docwatch/docwatch; page-change monitor)"
ROBOTS_AGENT = "docwatch"
MAX_REDIRECTS = 10
MAX_REFRESH_DELAY = 10  # seconds: a page that sends its reader on sooner is not the page
REFRESH_HEAD = 32 * 1024  # where a page's <meta refresh> is looked for
_REFRESH_RE = re.compile(rb"<meta\b[^>]*?http-equiv\s*=\s*[\"']?refresh\b[^>]*>", re.I)
_CONTENT_RE = re.compile(rb"\bcontent\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_REFRESH_VALUE_RE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$",
                               re.I | re.S)
_NOSCRIPT_RE = re.compile(rb"<noscript\b.*?</noscript\s*>", re.I | re.S)
_COMMENT_RE = re.compile(rb"<!--.*?-->", re.S)
_TIMEOUTS = ("connect", "read", "write", "pool")
ROBOTS_TTL = 24 * 3600
ROBOTS_RETRY = 3600  # a robots.txt that could not be read (dead site, 5xx) is tried again
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")
_MAYBE_PDF = ("application/octet-stream", "binary/octet-stream")  # servers label PDFs so too
_ACCEPTED = _HTML_TYPES + PDF_TYPES + _MAYBE_PDF
DEADLINE_TIMEOUTS = 3  # a check's deadline, retries and backoff included, in page timeouts
MAX_DEFAULT_DEADLINE = 60.0  # ...and at most this: a stalled server holds a run a minute at most
RETRYABLE = {"connect", "timeout", "truncated", "protocol"}
RETRY_STATUS = {429, 503}
# Bot-protection and WAF pages served with 200 (or 403/503) instead of the page; looked for
# with plain substring tests on the lower-cased head of small bodies (a regex costs ms a page).
_BLOCK_MARKERS = (
    b"cf-chl-", b"challenge-platform", b"<title>attention required", b"<title>just a moment",
    b"<title>access denied", b"<title>request rejected", b"<title>security check",
    b"<title>ddos-guard", b"incapsula incident", b"sucuri website firewall", b"are you a robot",
    b"are you a human", b"g-recaptcha", b"h-captcha", b"captcha-delivery",
)
BLOCK_PAGE_MAX = 16 * 1024  # challenge pages are small; real pages that mention a captcha are not


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


def meta_refresh(fetched: Fetched) -> str | None:
    """Where a page sends its reader with `<meta http-equiv="refresh" content="N; url=…">`
    within `MAX_REFRESH_DELAY` seconds, or None (no such tag, the page itself, one inside
    `<noscript>` that only a browser without scripts obeys)."""
    mime = (fetched.content_type or "text/html").split(";")[0].strip().lower()
    if fetched.status_code != 200 or mime not in ("text/html", "application/xhtml+xml"):
        return None
    head = fetched.body[:REFRESH_HEAD]
    if b"refresh" not in head.lower():
        return None
    head = _NOSCRIPT_RE.sub(b"", _COMMENT_RE.sub(b"", head))
    for tag in _REFRESH_RE.findall(head):
        content = _CONTENT_RE.search(tag)
        if not content:
            continue
        value = next(g for g in content.groups() if g is not None).decode("utf-8", "replace")
        found = _REFRESH_VALUE_RE.match(html_unescape(value))
        if not found or not found.group(2) or float(found.group(1)) > MAX_REFRESH_DELAY:
            continue
        try:
            target = httpx.URL(fetched.final_url).join(found.group(2).strip().strip("'\""))
        except httpx.InvalidURL:
            return None
        if target.scheme in ("http", "https") and \
                str(target.copy_with(fragment=None)) != fetched.final_url.split("#")[0]:
            return str(target)
    return None


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
        self._robots: dict[str, _Robots] = {}
        self._robots_reading: dict[str, threading.Lock] = {}
        self._robots_read: dict[str, tuple[float, str | None]] = {}  # for the store
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
                from .browser import Browser

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
        rules = self._robots_of(f"{parts.scheme}://{netloc}", parts.netloc.lower(), timeout,
                                way).rules
        return rules is None or rules.can_fetch(ROBOTS_AGENT, url)

    def remember_robots(self, known: dict[str, tuple[float, str | None]]) -> None:
        """robots.txt files read before, by an earlier run: site -> (when, in epoch seconds;
        the file, or None when the site has none). Fresh ones are not read again."""
        with self._lock:
            for site, (at, body) in known.items():
                if site not in self._robots or self._robots[site].at < at:
                    self._robots[site] = _Robots(at, body)

    def robots_to_keep(self) -> dict[str, tuple[float, str | None]]:
        """The robots.txt files this fetcher has read since last asked, in the form
        `remember_robots` takes (answers that say nothing, a dead site or a 5xx, are left out)."""
        with self._lock:
            read, self._robots_read = self._robots_read, {}
        return read

    def _robots_of(self, site: str, host: str, timeout: float, way: Way) -> _Robots:
        with self._lock:
            known = self._robots.get(site)
            reading = self._robots_reading.setdefault(site, threading.Lock())
        if known and known.fresh():
            return known
        with reading:  # one thread reads it; the site's other checks wait for its rules
            with self._lock:
                known = self._robots.get(site)
            if known and known.fresh():
                return known
            body, lasting = self._read_robots(site, host, min(timeout, 10.0), way)
            known = _Robots(time.time(), body, ROBOTS_TTL if lasting else ROBOTS_RETRY)
            with self._lock:
                self._robots[site] = known
                if lasting:
                    self._robots_read[site] = (known.at, body)
            return known

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


class _Robots:
    """A site's robots.txt as read at `at` (epoch seconds), good for `ttl` seconds; parsed
    when first asked."""

    def __init__(self, at: float, body: str | None, ttl: float = ROBOTS_TTL):
        self.at = at
        self.body = body
        self.ttl = ttl

    def fresh(self) -> bool:
        return time.time() - self.at <= self.ttl

    @cached_property
    def rules(self) -> RobotFileParser | None:
        if self.body is None:
            return None
        rules = RobotFileParser()
        rules.parse(self.body.splitlines())
        return rules


class _Host:
    """At most `limit` requests at once to one host, started at least `min_delay` apart."""

    def __init__(self, limit: int, min_delay: float):
        self.slots = threading.Semaphore(max(limit, 1))
        self.min_delay = min_delay
        self.lock = threading.Lock()
        self.next_start = 0.0

    @contextmanager
    def slot(self, stopping: threading.Event) -> Iterator[None]:
        with self.slots:
            if self.min_delay:
                with self.lock:
                    now = time.monotonic()
                    start = max(now, self.next_start)
                    self.next_start = start + self.min_delay
                if start > now:
                    stopping.wait(start - now)
            yield


def _head(response: httpx.Response) -> bytes:
    """The first bytes of an error page, enough to recognise a bot-protection page."""
    head = bytearray()
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= BLOCK_PAGE_MAX:
            break
    return bytes(head[:BLOCK_PAGE_MAX])


def _failed_at(e: httpx.RequestError, url: str) -> str:
    """The address a request failed at: after redirects, not the one first asked for."""
    try:
        return str(e.request.url)
    except RuntimeError:  # a transport that did not say (httpx's own, in the demo)
        return url


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect from `url` goes, read as httpx.Client reads it: a malformed Location is
    an error, not a host name made of it; an absolute one without a host stays on the site."""
    try:
        target = httpx.URL(location)
    except httpx.InvalidURL as e:
        raise FetchError("redirect", f"redirected to an invalid address ({e})") from None
    if target.scheme and not target.host:
        target = target.copy_with(host=url.host)
    return url.join(target) if target.is_relative_url else target


def _basic_auth(url: httpx.URL) -> dict[str, str]:
    """The Authorization header for credentials in a URL (`http://user:password@host/`)."""
    if not (url.username or url.password):
        return {}
    token = base64.b64encode(f"{url.username}:{url.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _same_site(new: httpx.URL, old: httpx.URL) -> bool:
    """Whether a redirect stays on the site (an upgrade to https included): credentials go
    along then."""
    if new.host != old.host:
        return False
    return new.scheme == old.scheme and new.port == old.port or (
        old.scheme == "http" and new.scheme == "https" and old.port in (None, 80)
        and new.port in (None, 443))


def _block_marker(body: bytes) -> str | None:
    low = body[:BLOCK_PAGE_MAX].lower()
    return next((m.decode() for m in _BLOCK_MARKERS if m in low), None)


def _retryable(e: FetchError) -> bool:
    return e.kind in RETRYABLE or e.status_code in RETRY_STATUS


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: "120" or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _secs(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 and seconds != int(seconds) else f"{seconds:.0f} s"


def _http_error(status: int, reason: str, head: bytes, retry_after: str | None) -> FetchError:
    if status in (404, 410):
        return FetchError("gone", f"HTTP {status} {reason}: the page is gone", status)
    if status in (401, 403, 451) or (status in (429, 503) and _block_marker(head)):
        return FetchError("blocked", f"HTTP {status} {reason}: access refused", status)
    kind = "http_5xx" if status >= 500 else "http_4xx"
    return FetchError(kind, f"HTTP {status} {reason}", status, _retry_after(retry_after))


def _transport_error(e: httpx.HTTPError | httpx.InvalidURL, url: str) -> FetchError:
    """A failure below HTTP (other than a timeout) as one `FetchError`."""
    if isinstance(e, Blocked):
        return FetchError("blocked", f"{e}; name it in [fetch] allow to follow it")
    if isinstance(e, ProxyFailed):
        return FetchError("proxy", str(e))
    if isinstance(e, httpx.ConnectError):
        return _connect_error(e, _failed_at(e, url))
    if isinstance(e, httpx.DecodingError):
        return FetchError("protocol", f"bad content encoding: {e}")
    if isinstance(e, httpx.RemoteProtocolError):
        if "incomplete" in str(e).lower() or "without sending complete" in str(e).lower():
            return FetchError("truncated", "the body broke off before its declared end")
        return FetchError("protocol", f"broken HTTP: {e}")
    if isinstance(e, httpx.ReadError):
        return FetchError("truncated", f"connection broke off: {e or type(e).__name__}")
    if isinstance(e, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return FetchError("url", f"invalid URL: {e}")
    return FetchError("protocol", str(e) or type(e).__name__)


def _connect_error(e: httpx.ConnectError, url: str) -> FetchError:
    """The failure in the operator's words: the host and the system's reason, without the
    HTTP library's object names."""
    text = str(e)
    low = text.lower()
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low \
            or "temporary failure in name resolution" in low or "failed to resolve" in low:
        return FetchError("dns", f"host name not found: {host}")
    if "ssl" in low or "certificate" in low:
        reason = re.search(r"\[SSL: [A-Z_]+\] ([^(]+?)(?: \(_ssl|$|\))", text)
        why = reason.group(1).strip() if reason else system_reason(text)
        hint = ("; if an organisation's own CA signs it, name that CA in [fetch] ca_bundle"
                if "issuer" in why or "self-signed" in why or "self signed" in why else "")
        return FetchError("tls", f"TLS with {host} failed: {why}{hint}")
    if "refused" in low:
        return FetchError("connect", f"connection refused by {where}")
    return FetchError("connect", f"cannot connect to {where}: {system_reason(text)}")


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
