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


# A web archive's copy of a page rewrites every link to its own copy, named by the capture's
# time (the Wayback Machine, Archive-It, the UK Government Web Archive, Arquivo.pt): each
# capture of the same page links elsewhere. The link is the address archived.
ARCHIVED_RE = re.compile(
    r"^(?:https?://(?:web\.archive\.org/web|wayback\.archive-it\.org/\d+|"
    r"webarchive\.nationalarchives\.gov\.uk(?:/ukgwa)?|arquivo\.pt/wayback)|/web)"
    r"/\d{8,14}(?:[a-z]{2}_)?/(?:(?P<scheme>https?):/*)?(?P<rest>[\w.-]+\.[a-z]{2,}\b.*)$",
    re.IGNORECASE)


# A link to a file (a report, a table, an archive), not to a page.
FILE_RE = re.compile(r"\.(?:pdf|docx?|xlsx?|odt|ods|odp|pptx?|rtf|zip|csv|txt|epub)(?:$|[?#])",
                     re.IGNORECASE)


def _carried(query: str) -> str | None:
    """The whole URL a redirector's query carries (`/l.php?u=<URL>&h=<token>`, `/url?q=<URL>`,
    mail "safe links" `?url=<URL>&data=…`): the link is where it leads, and the redirector's
    own parameters, a token made per request among them, are not the link."""
    if "http" not in query:
        return None
    for _, value in parse_qsl(query):
        if value.startswith(("http://", "https://")) and len(value) > 10:
            try:
                if urlsplit(value).netloc:
                    return value
            except ValueError:
                continue
    return None


@functools.lru_cache(maxsize=8192)  # a site repeats its links on every page and every check
def normalize_url(href: str, base: str | None = None) -> str:
    """Absolute URL without fragment and without session ids, tokens or tracking parameters;
    a web archive's copy of a link is the address it archived, a redirector's the URL it
    carries."""
    url = urljoin(base, href) if base else href
    if "/" in url and (archived := ARCHIVED_RE.match(url)):  # "https:/kam.lt", "kam.lt" too
        url = f"{(archived['scheme'] or 'http').lower()}://{archived['rest']}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return href
    if (carried := _carried(parts.query)) and carried != url:
        return normalize_url(carried)
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not SESSION_PARAM_RE.match(k)
             and not (CACHE_PARAM_RE.match(k) and CACHE_VALUE_RE.match(v))]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))

