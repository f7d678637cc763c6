"""Reading one field of a table: a string, a list of strings, a duration, match terms, a
selector, a crontab; each fault one `ConfigError` naming the table, the field and why."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigError

_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def seconds(duration: str) -> int:
    """'6h' -> 21600. ValueError for anything else."""
    m = _DURATION_RE.match(duration)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{duration!r} is not a duration like '30m', '6h' or '1d'")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def _table(at: str, raw: Any, keys: set[str]) -> dict:
    """A table with only the fields it may have."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: must be a table")
    if extra := set(raw) - keys:
        raise ConfigError(f"{at}: unknown field {sorted(extra)[0]!r}")
    return raw


def _str(at: str, raw: dict, key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{at}: {key}: missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{at}: {key}: must be a non-empty string")
    return value.strip()


def _strings(at: str, raw: dict, key: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{at}: {key}: must be a string or a list of strings")
    return value


def _terms(at: str, raw: dict) -> tuple[str, ...]:
    """`match`: the terms a change must mention (see `matching`), each checked now."""
    from ..matching import BadTerm, parse_term

    terms = _strings(at, raw, "match")
    for term in terms:
        try:
            parse_term(term)
        except BadTerm as e:
            raise ConfigError(f"{at}: match: {e}") from None
    return tuple(terms)


def _check_selector(at: str, key: str, selector: str) -> None:
    """A CSS selector, or an XPath expression written `xpath:…` (or starting with `/`)."""
    from ..parsing.root import xpath_of

    if (path := xpath_of(selector)) is not None:
        from lxml import etree

        try:
            etree.XPath(path)
        except etree.XPathSyntaxError as e:
            raise ConfigError(f"{at}: {key}: {selector!r} is not an XPath expression: {e}") \
                from None
        return
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as e:
        raise ConfigError(f"{at}: {key}: {selector!r} is not a CSS selector: {e}") from None


def _check_cron(at: str, cron: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(cron)
    except ValueError as e:
        raise ConfigError(f"{at}: cron: {cron!r} is not a crontab expression: {e}") from None
