"""The reading views' and canned queries' parameters, checked: each bad value is one message."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from ..matching import BadTerm, Terms
from ..models import CATEGORIES
from ..times import WHEN_HELP, day_start, parse_when


FTS_HELP = ("Use words (NATO summit), \"an exact phrase\", NATO OR Alliance, NATO NOT Russia, "
            "or a prefix (summ*); AND, OR and NOT need a word on each side, and quotes must pair.")


class BadParameter(ValueError):
    """A parameter a person typed that means nothing; its message says which and why."""


def since(value: str | None) -> str | None:
    """A lower bound as stored times are written (a date is its first second)."""
    return day_start(when("since", value)) if value else None


def until(value: str | None) -> str | None:
    """An exclusive upper bound: a date takes in that whole day."""
    if not value:
        return None
    moment = when("until", value)
    if len(moment) == 10:
        return (date.fromisoformat(moment) + timedelta(days=1)).isoformat() + "T00:00:00Z"
    return moment


def when(name: str, value: str) -> str:
    try:
        return parse_when(value)
    except ValueError:
        raise BadParameter(f"{name}: {value!r} is not {WHEN_HELP}.") from None


def search(value: str | None) -> str | None:
    """An FTS5 query (the canned `search_history`), tried on an empty index first: SQLite's
    `fts5: syntax error` says nothing to a person."""
    q = (value or "").strip()
    if not q:
        return None
    with sqlite3.connect(":memory:") as probe:
        probe.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        try:
            probe.execute("SELECT * FROM t WHERE t MATCH ?", [q]).fetchall()
        except sqlite3.OperationalError:
            raise BadParameter(f"q: {q!r} is not a search FTS5 understands. {FTS_HELP}") from None
    return q


def words(value: str | None) -> Terms | None:
    """The words field: one term as `[[notify]] match` reads it (words, "a phrase", a stem*,
    OR, NOT), case and diacritics aside."""
    q = (value or "").strip()
    if not q:
        return None
    try:
        return Terms.of([q])
    except BadTerm as e:
        raise BadParameter(f"q: {e}") from None


def category(value: str | None) -> str | None:
    if value and value not in CATEGORIES:
        raise BadParameter(f"category: {value!r} is none of {', '.join(CATEGORIES)}.")
    return value or None


def row_id(name: str, value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise BadParameter(f"{name}: {value!r} is not a number.")
    return int(value)


@dataclass(frozen=True)
class FeedFilter:
    """What the feed page shows: as typed (for the form) and as the store reads it."""

    source: str = ""
    category: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    before: str = ""

    @classmethod
    def of(cls, params: dict[str, str]) -> FeedFilter:
        return cls(**{k: (params.get(k) or "").strip() for k in cls.__dataclass_fields__})

    def query(self) -> dict:
        """Keyword arguments of `Store.changes`; BadParameter for the first bad value."""
        return {"source": self.source or None, "category": category(self.category),
                "since": since(self.since), "until": until(self.until),
                "match": words(self.q), "before": row_id("before", self.before)}

    def link(self, **changed: str) -> dict[str, str]:
        """The filter's parameters for a link, with some changed; empty ones left out."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__} | changed
        return {k: v for k, v in values.items() if v}
