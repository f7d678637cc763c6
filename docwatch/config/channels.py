"""A `[[notify]]` table: an alert channel (an Apprise URL) and what it wants."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..errors import ConfigError
from ..models import CATEGORIES, STATUS_EVENTS, NotifyTarget, Source
from .fields import _str, _strings, _table, _terms

_NOTIFY_KEYS = {"url", "name", "sources", "categories", "min_significance", "digest", "tags",
                "match"}
DIGESTS = ("immediate", "hourly", "daily")


def _notify(where: str, i: int, raw: Any, names: set[str]) -> NotifyTarget:
    at = f"{where}: notify[{i}]"
    raw = _table(at, raw, _NOTIFY_KEYS)
    url = _str(at, raw, "url", required=True)
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        raise ConfigError(f"{at}: url: not an Apprise URL such as 'mailto://…'")
    from ..notify import channel_problem  # Apprise is loaded only for [[notify]]
    from ..redact import channel_display

    if problem := channel_problem(url):
        raise ConfigError(f"{at}: url {channel_display(url)}: {problem}")
    name = _str(at, raw, "name")
    if name is not None and not re.fullmatch(r"[\w.@+-]{1,64}", name):
        raise ConfigError(f"{at}: name: {name!r} is not a name (letters, digits, . _ - @ +)")
    sources = _strings(at, raw, "sources")
    if missing := [s for s in sources if s not in names]:
        raise ConfigError(f"{at}: sources: no source named {missing[0]!r}")
    categories = _strings(at, raw, "categories")
    names_ok = (*CATEGORIES, "status", *STATUS_EVENTS)
    if bad := [c for c in categories if c not in names_ok]:
        raise ConfigError(f"{at}: categories: {bad[0]!r} is not one of {', '.join(names_ok)}")
    floor = raw.get("min_significance", 0.0)
    if not isinstance(floor, (int, float)) or not 0 <= floor <= 1:
        raise ConfigError(f"{at}: min_significance: must be a number from 0 to 1")
    digest = _str(at, raw, "digest") or "immediate"
    if digest not in DIGESTS:
        raise ConfigError(f"{at}: digest: must be one of {', '.join(DIGESTS)}")
    tags = _strings(at, raw, "tags")
    return NotifyTarget(url, tuple(sources), tuple(categories), float(floor), digest, name,
                        tuple(tags), _terms(at, raw))


def _tagged(where: str, i: int, target: NotifyTarget, sources: list[Source]) -> NotifyTarget:
    """A channel filtered by tags carries the sources with those tags among its `sources`."""
    if not target.tags:
        return target
    tagged = [s.name for s in sources if set(s.tags) & set(target.tags)]
    if not tagged:
        raise ConfigError(f"{where}: notify[{i}]: tags: no source is tagged "
                          + " or ".join(repr(t) for t in target.tags))
    return replace(target, sources=tuple(dict.fromkeys([*target.sources, *tagged])))
