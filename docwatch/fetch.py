"""Bytes and response metadata from a URL or a file; never parses. Failures are classified."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from . import __version__
from .errors import FetchError
from .models import Fetched

USER_AGENT = f"docwatch/{__version__} (+https://github.com/docwatch/docwatch; page-change monitor)"
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 10
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")


def client(timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """One client per process: keep-alive, compression, a User-Agent naming docwatch."""
    return httpx.Client(
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"},
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    )


def fetch(
    url: str,
    *,
    http: httpx.Client | None = None,
    timeout: float = 30.0,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET a page; a 304 comes back with an empty body. Raises `FetchError` with a kind."""
    own = http is None
    http = http or client(timeout)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    try:
        with http.stream("GET", url, headers=headers, timeout=timeout) as response:
            status = response.status_code
            if status >= 400:
                raise _http_error(status, response.reason_phrase)
            ctype = response.headers.get("content-type")
            if status != 304 and ctype and not ctype.split(";")[0].strip().lower() in _HTML_TYPES:
                raise FetchError("unsupported", f"content type {ctype.split(';')[0]} is not a web page")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError("too_large", f"body larger than {max_bytes // 1_048_576} MB")
            return Fetched(
                url=url,
                final_url=str(response.url),
                status_code=status,
                body=bytes(body),
                content_type=ctype,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                elapsed=time.monotonic() - started,
            )
    except FetchError:
        raise
    except httpx.TooManyRedirects:
        raise FetchError("redirect", f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise FetchError("timeout", f"no answer within {timeout:g} s") from None
    except httpx.ConnectError as e:
        raise _connect_error(e) from None
    except httpx.DecodingError as e:
        raise FetchError("protocol", f"bad content encoding: {e}") from None
    except (httpx.RemoteProtocolError, httpx.ReadError) as e:
        raise FetchError("protocol", f"connection broke off: {e or type(e).__name__}") from None
    except httpx.InvalidURL as e:
        raise FetchError("url", f"invalid URL: {e}") from None
    except httpx.HTTPError as e:
        raise FetchError("protocol", str(e) or type(e).__name__) from None
    finally:
        if own:
            http.close()


def _http_error(status: int, reason: str) -> FetchError:
    if status in (404, 410):
        return FetchError("gone", f"HTTP {status} {reason}: the page is gone", status)
    if status in (401, 403, 451):
        return FetchError("blocked", f"HTTP {status} {reason}: access refused", status)
    kind = "http_5xx" if status >= 500 else "http_4xx"
    return FetchError(kind, f"HTTP {status} {reason}", status)


def _connect_error(e: httpx.ConnectError) -> FetchError:
    text = str(e)
    low = text.lower()
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low \
            or "temporary failure in name resolution" in low:
        return FetchError("dns", f"host name not found ({text})")
    if "ssl" in low or "certificate" in low:
        return FetchError("tls", f"TLS failed ({text})")
    if "refused" in low:
        return FetchError("connect", "connection refused")
    return FetchError("connect", f"cannot connect ({text})")


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
