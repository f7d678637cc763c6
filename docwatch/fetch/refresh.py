"""`<meta http-equiv="refresh">`: where a page sends its reader on, soon enough to be a
redirect (it is followed as one, and meets the boundary as one)."""

from __future__ import annotations

import re
from html import unescape as html_unescape

import httpx

from ..models import Fetched

MAX_REFRESH_DELAY = 10  # seconds: a page that sends its reader on sooner is not the page
REFRESH_HEAD = 32 * 1024  # where a page's <meta refresh> is looked for
_REFRESH_RE = re.compile(rb"<meta\b[^>]*?http-equiv\s*=\s*[\"']?refresh\b[^>]*>", re.I)
_CONTENT_RE = re.compile(rb"\bcontent\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_REFRESH_VALUE_RE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$",
                               re.I | re.S)
_NOSCRIPT_RE = re.compile(rb"<noscript\b.*?</noscript\s*>", re.I | re.S)
_COMMENT_RE = re.compile(rb"<!--.*?-->", re.S)


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
