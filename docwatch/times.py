"""How docwatch writes times, in the database and in messages: UTC, ISO 8601, to the second."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(FORMAT)


def from_iso(text: str) -> datetime:
    """A stored time ("2024-04-02T10:00:00Z") as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_iso() -> str:
    return to_iso(datetime.now(timezone.utc))


_AGE = re.compile(r"(\d+)\s*([mhdw])")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
WHEN_HELP = "a date (2024-03-01), an ISO time (2024-03-01T09:30, UTC unless it says) or an age (7d, 12h)"


def parse_when(text: str, *, now: datetime | None = None) -> str:
    """A moment the analyst typed, as stored times are written; ValueError if it is none.

    A date stays a date ("2024-03-01"), so callers can read it as the day's start (`since`)
    or its end (`at`); a time becomes UTC ISO; an age ("7d") counts back from `now`.
    """
    value = text.strip()
    age = _AGE.fullmatch(value.lower())
    if age:
        now = now or datetime.now(timezone.utc)
        return to_iso(now - timedelta(**{_AGE_UNITS[age[2]]: int(age[1])}))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", value):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return to_iso(when if when.tzinfo else when.replace(tzinfo=timezone.utc))
    raise ValueError(f"{text!r} is not {WHEN_HELP}")


def day_start(when: str) -> str:
    """`parse_when`'s answer as a lower bound: a date is its first second."""
    return f"{when}T00:00:00Z" if len(when) == 10 else when
