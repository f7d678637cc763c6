"""Secrets stay in the config: what URLs look like where people and databases can see them.

A notification channel is stored and shown by a secret-free identity (its `[[notify]] name`,
or Apprise's privacy form of its URL with a short hash of that form); the URL itself is read
from the config when a message is sent. A source URL's credentials (a password in it, a
`token=` or `key=` in its query) are masked before anything is stored or printed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Apprise's own log lines quote channel URLs; docwatch reports failures itself, one line
# each, with Apprise's reason taken from a `LogCapture` (`notify.why_not`).
logging.getLogger("apprise").propagate = False

MASK = "****"
# Query parameters that carry credentials, in source URLs and in any URL we show.
SECRET_PARAM_RE = re.compile(
    r"^(?:.*token.*|.*secret.*|.*passw.*|pwd|pass|key|apikey|api_key|access_key|auth|"
    r"authorization|sig|signature|session|sessionid|credential.*|private.*)$", re.IGNORECASE)


def source_url(url: str) -> str:
    """A page URL as it may be stored and shown: a password or token in it masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_PARAM_RE.match(k) for k, _ in pairs):
            query = urlencode([(k, MASK if SECRET_PARAM_RE.match(k) else v) for k, v in pairs],
                              safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secrets_of(url: str) -> list[str]:
    """The parts of a URL that may be secret (password, user, path segments, query values),
    longest first, for scrubbing them out of text that quotes them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password or "", parts.username or ""]
    found += [seg for seg in re.split(r"[/:@]", parts.path) if seg]
    found += [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    found += [parts.netloc.split("@")[0]] if "@" in parts.netloc else []
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def scrub(text: str, *urls: str) -> str:
    """`text` with every secret of `urls` masked, and any URL it quotes shown without them."""
    for url in urls:
        for secret in secrets_of(url):
            text = text.replace(secret, MASK)
    return re.sub(r"\b[a-z][a-z0-9+.-]*://\S+", lambda m: channel_display(m.group(0)), text)


def _apprise_plugin(url: str):
    import apprise

    try:
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)
    except Exception:  # noqa: BLE001 - a display must never fail
        return None


@functools.lru_cache(maxsize=256)
def channel_display(url: str) -> str:
    """A channel as people may see it: Apprise's privacy form (passwords and tokens masked),
    without its query; for a URL Apprise cannot read, scheme and host only."""
    plugin = _apprise_plugin(url) if "://" in url else None
    if plugin is not None:
        return plugin.url(privacy=True).split("?", 1)[0]
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]  # an @ in the query is not
    return f"{scheme}://{host}/…" if rest else MASK


@functools.lru_cache(maxsize=256)
def channel_identity(url: str) -> str:
    """The stable, secret-free name of a channel without a `[[notify]] name`: its display
    form and a hash of Apprise's whole privacy form (so two channels differing only in a
    path or a query are two, and a changed password is the same channel)."""
    plugin = _apprise_plugin(url)
    private = plugin.url(privacy=True) if plugin is not None else channel_display(url)
    return f"{channel_display(url)}#{hashlib.sha256(private.encode()).hexdigest()[:8]}"
