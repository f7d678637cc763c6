"""A `[[source]]` table: the page, its schedule, its reading rules and what alerts."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigError
from ..locales import known_language
from ..models import CATEGORIES, MemoryWindow, ParseRules, Source
from .fetching import _proxy
from .fields import _check_cron, _check_selector, _str, _strings, _table, _terms, seconds

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SOURCE_KEYS = {"name", "url", "every", "cron", "content", "exclude", "ignore", "alert", "timeout",
                "robots", "lang", "documents", "render", "headers", "tags",
                "memory", "proxy", "match"}
_RULES: dict[ParseRules, ParseRules] = {}
_ALERTS: dict[frozenset, dict[str, bool]] = {}


def _source(where: str, i: int, raw: Any) -> Source:
    at = f"{where}: source[{i}]"
    raw = _table(at, raw, _SOURCE_KEYS)
    name = _str(at, raw, "name", required=True)
    at = f"{where}: source {name!r}"
    if not _NAME_RE.match(name):
        raise ConfigError(f"{at}: name: use letters, digits, '-', '_' or '.'")
    url = _str(at, raw, "url", required=True)
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"{at}: url: {url!r} is not an http(s) URL")
    every, cron = _schedule(at, raw)
    return Source(
        memory=_memory(at, raw.get("memory", {})),
        name=_own(name), url=_own(url),
        every=_own(every) if every else (None if cron else "6h"),
        cron=_own(cron) if cron else None,
        rules=_rules(at, raw), alert=_alert(at, raw), match=_terms(at, raw),
        tags=tuple(_strings(at, raw, "tags")), **_fetching(at, raw),
    )


def _schedule(at: str, raw: dict) -> tuple[str | None, str | None]:
    """`every` or `cron` (or neither: every 6 hours), each checked."""
    every, cron = _str(at, raw, "every"), _str(at, raw, "cron")
    if every and cron:
        raise ConfigError(f"{at}: every, cron: give one schedule, not both")
    if every:
        try:
            seconds(every)
        except ValueError as e:
            raise ConfigError(f"{at}: every: {e}") from None
    if cron:
        _check_cron(at, cron)
    return every, cron


def _rules(at: str, raw: dict) -> ParseRules:
    """How the page is read: `content`, `exclude`, `ignore` and `lang`."""
    exclude = _strings(at, raw, "exclude")
    content = _str(at, raw, "content")
    for key, selector in [("content", content)] + [("exclude", x) for x in exclude]:
        if selector:
            _check_selector(at, key, selector)
    ignore = _strings(at, raw, "ignore")
    for pattern in ignore:
        try:
            re.compile(pattern)
        except re.error as e:
            raise ConfigError(f"{at}: ignore: {pattern!r} is not a regular expression: {e}") from None
    lang = _str(at, raw, "lang")
    if lang is not None and not known_language(lang):
        raise ConfigError(f"{at}: lang: {lang!r} is not a language code CLDR knows (e.g. 'lt', 'de')")
    return _shared(ParseRules(content=content, exclude=tuple(exclude), ignore=tuple(ignore),
                              lang=lang))


def _alert(at: str, raw: dict) -> dict[str, bool]:
    alert = raw.get("alert", {})
    if not isinstance(alert, dict) or any(
        k not in CATEGORIES or not isinstance(v, bool) for k, v in alert.items()
    ):
        raise ConfigError(
            f"{at}: alert: must map categories ({', '.join(CATEGORIES)}) to true or false"
        )
    return _shared_alert(alert)


def _fetching(at: str, raw: dict) -> dict[str, Any]:
    """How the page is fetched: timeout, robots, documents, headers, render and proxy."""
    timeout = raw.get("timeout", 30.0)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{at}: timeout: must be a positive number of seconds")
    robots = raw.get("robots", True)
    if not isinstance(robots, bool):
        raise ConfigError(f"{at}: robots: must be true or false")
    documents = raw.get("documents", False)
    if documents is True:
        documents = "*.pdf"
    elif documents is False:
        documents = None
    elif not isinstance(documents, str) or not documents.strip():
        raise ConfigError(f"{at}: documents: true, false, or a file name pattern such as '*.pdf'")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k)
            and isinstance(v, str) and "\n" not in v for k, v in headers.items()):
        raise ConfigError(f"{at}: headers: must map header names to strings")
    render = _str(at, raw, "render")
    if render not in (None, "browser"):
        raise ConfigError(f"{at}: render: {render!r}: the one way to render a page is 'browser'")
    return {"timeout": float(timeout), "robots": robots, "documents": documents,
            "headers": tuple(headers.items()), "render": render,
            "proxy": _proxy(at, raw["proxy"]) if "proxy" in raw else None}


def _memory(at: str, raw: Any) -> MemoryWindow:
    """`memory = {versions = 10, days = 30}`: how far back a change is held against what the
    page showed (either part may be left out; versions = 0 compares with the last only)."""
    if not isinstance(raw, dict) or set(raw) - {"versions", "days"}:
        raise ConfigError(f"{at}: memory: must be a table such as {{versions = 10, days = 30}}")
    default = MemoryWindow()
    versions, days = raw.get("versions", default.versions), raw.get("days", default.days)
    if not isinstance(versions, int) or isinstance(versions, bool) or versions < 0:
        raise ConfigError(f"{at}: memory: versions: must be a whole number (0 or more)")
    if not isinstance(days, (int, float)) or isinstance(days, bool) or days <= 0:
        raise ConfigError(f"{at}: memory: days: must be a positive number of days")
    return default if (versions, days) == (default.versions, default.days) else \
        MemoryWindow(versions, float(days))


def _own(text: str) -> str:
    """A copy of a string the TOML parser made. The sources keep theirs for the whole run, and
    tomllib's, strewn among its parse tree's objects, would keep that tree's memory from
    being freed (100,000 sources: 28 MB of a run's peak)."""
    return text.encode().decode()


def _shared(rules: ParseRules) -> ParseRules:
    """One object for equal rules: 100,000 sources mostly share the default ones, and each
    copy was 100 bytes in every process of a run."""
    return _RULES.setdefault(rules, rules)


def _shared_alert(alert: dict[str, bool]) -> dict[str, bool]:
    """One dict for equal alert overrides (never written to after loading)."""
    return _ALERTS.setdefault(frozenset(alert.items()), dict(alert))
