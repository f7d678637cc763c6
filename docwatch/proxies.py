"""Which proxy a request goes through, as curl and httpx choose it.

A source's own `proxy` first, then `[fetch] proxy`, then the environment's `HTTP_PROXY` /
`HTTPS_PROXY` (by the URL's scheme; lower case first, as curl reads them) and `ALL_PROXY`.
`NO_PROXY` (`[fetch] no_proxy` too) sends hosts direct: `*` for all, a host name for it and
its subdomains (a leading dot changes nothing), an address or a network in CIDR form, with an
optional `:port`. A source's own proxy is the operator's word for that page and is always used.

A proxy URL may carry a user and password: they are sent as `Proxy-Authorization` and are
never shown; a proxy is named by `shown` (scheme, host and port) in every line docwatch writes.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = ("http", "https")


def check(url: str) -> str:
    """`url` if it is a proxy docwatch can use; `ValueError` (which never quotes a password)
    naming what is wrong."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"{shown(url)!r} is not a proxy URL") from None
    if parts.scheme not in SCHEMES:
        raise ValueError(f"{shown(url)}: docwatch speaks to http:// and https:// proxies "
                         f"(not {parts.scheme}://)")
    if not parts.hostname:
        raise ValueError(f"{shown(url)!r} names no host")
    return url if "://" in url else f"http://{url}"


def shown(url: str) -> str:
    """A proxy as it may be printed: scheme, host and port, no credentials."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable proxy URL)"
    return f"{parts.scheme}://{host}{port}"


def credentials(url: str) -> str | None:
    """"user:password" of a proxy URL, for its Proxy-Authorization, or None."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    return f"{unquote(parts.username)}:{unquote(parts.password or '')}"


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


@dataclass(frozen=True)
class Proxies:
    """The proxies a process uses: `[fetch] proxy`, the environment's, and the hosts that go
    direct. Read the environment once (`from_environment`), when the fetcher starts."""

    configured: str | None = None
    by_scheme: tuple[tuple[str, str], ...] = ()  # ("http", url), ("https", url), ("all", url)
    direct: tuple[str, ...] = ()  # NO_PROXY's entries, then [fetch] no_proxy's

    @classmethod
    def from_environment(cls, configured: str | None = None,
                         no_proxy: tuple[str, ...] = ()) -> Proxies:
        env = urllib.request.getproxies_environment()  # lower case wins, as curl reads them
        found = tuple((scheme, env[scheme]) for scheme in ("http", "https", "all")
                      if env.get(scheme))
        direct = tuple(e.strip() for e in env.get("no", "").split(",") if e.strip())
        return cls(configured, found, direct + tuple(no_proxy))

    def for_url(self, url: str, own: str | None = None) -> str | None:
        """The proxy for a request to `url` (`own`: its source's), or None to go direct."""
        if own:
            return own
        if not (self.configured or self.by_scheme):
            return None
        parts = urlsplit(url)
        if self._goes_direct(parts.hostname or "",
                             parts.port or (443 if parts.scheme == "https" else 80)):
            return None
        if self.configured:
            return self.configured
        env = dict(self.by_scheme)
        return env.get(parts.scheme) or env.get("all")

    def _goes_direct(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        for entry in self.direct:
            entry = entry.lower()
            if entry == "*":
                return True
            name, _, want = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
            if want and str(port) != want:
                continue
            name = name.strip("[]").lstrip(".").rstrip(".")
            if "/" in name or _is_address(name):
                try:
                    if ipaddress.ip_address(host.strip("[]")) in ipaddress.ip_network(
                            name, strict=False):
                        return True
                except ValueError:
                    pass
                continue
            if host == name or host.endswith("." + name):
                return True
        return False


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _has_port(entry: str) -> bool:
    """Whether a NO_PROXY entry ends in ":port" (an IPv6 address's colons are not one)."""
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (entry.startswith("[") or ":" not in head)
