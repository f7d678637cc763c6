"""How docwatch writes times, in the database and in messages: UTC, ISO 8601, to the second."""

from __future__ import annotations

from datetime import datetime, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(FORMAT)


def from_iso(text: str) -> datetime:
    """A stored time ("2024-04-02T10:00:00Z") as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_iso() -> str:
    return to_iso(datetime.now(timezone.utc))
