"""Following a redirect: where it goes, and whether the credentials of the URL go with it
(only to the same site)."""

from __future__ import annotations

import base64

import httpx

from ..errors import FetchError


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
