"""Links as identities: absolute, without fragments, session ids, tokens, tracking and
cache-busting parameters, so a link that only changed its parameters is the same link."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

SESSION_PARAM_RE = re.compile(
    r"^(?:sid|sessionid|session_id|phpsessid|jsessionid|aspsessionid\w*|token|csrf\w*|"
    r"utm_\w+|_ga|_gl|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|"
    r"mkt_tok|cmpid|s_cid|xtor|wt\.mc_id|ref_src|cachebuster|_|ts|timestamp)$", re.IGNORECASE
)
# Cache-busting parameters: `?v=1764253365`, `?t=9f3a2c1d`; a bare `?1764253365` too.
CACHE_PARAM_RE = re.compile(r"^(?:v|ver|version|t|cb|rnd|rand|random|nocache|_t|itok|time|"
                            r"hash|h|rev|build|\d+)$", re.IGNORECASE)
CACHE_VALUE_RE = re.compile(r"^(?:\d{6,}|[0-9a-f]{6,}|[\d.]+)?$", re.IGNORECASE)


@functools.lru_cache(maxsize=8192)  # a site repeats its links on every page and every check
def normalize_url(href: str, base: str | None = None) -> str:
    """Absolute URL without fragment and without session ids, tokens or tracking parameters."""
    url = urljoin(base, href) if base else href
    try:
        parts = urlsplit(url)
    except ValueError:
        return href
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not SESSION_PARAM_RE.match(k)
             and not (CACHE_PARAM_RE.match(k) and CACHE_VALUE_RE.match(v))]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))

