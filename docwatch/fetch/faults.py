"""A failed fetch in words: each fault a `FetchError` of a kind (dns, connect, proxy, timeout,
tls, gone, blocked, http_4xx, http_5xx, …) with what failed and why, and which are tried again."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from ..errors import FetchError, system_reason
from ..transport import Blocked, ProxyFailed

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


def _failed_at(e: httpx.RequestError, url: str) -> str:
    """The address a request failed at: after redirects, not the one first asked for."""
    try:
        return str(e.request.url)
    except RuntimeError:  # a transport that did not say (httpx's own, in the demo)
        return url


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


def _head(response: httpx.Response) -> bytes:
    """The first bytes of an error page, enough to recognise a bot-protection page."""
    head = bytearray()
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= BLOCK_PAGE_MAX:
            break
    return bytes(head[:BLOCK_PAGE_MAX])
