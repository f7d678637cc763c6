"""Moves: a passage removed in one place and added in another is one passage moved."""

from __future__ import annotations

from collections import defaultdict

from .classify import _squeeze
from .found import _Found, _moved


ENTRY_CATEGORIES = frozenset({"new_entry", "removed_entry"})


def _moves(found: list[_Found]) -> list[_Found]:
    """Removed and added passages with the same words are one passage moved: a passage left
    over by its section's alignment, or a dated entry (its words with its date), so an event
    that moves from "Upcoming" to "Past" is no news."""
    def words(f: _Found, text: str | None) -> str | None:
        if f.change.category in ENTRY_CATEGORIES:
            return _squeeze(f"{f.change.section[-1]} {text or ''}")
        return _squeeze(text or "") if f.leftover else None

    added: dict[str, list[_Found]] = defaultdict(list)
    for f in found:
        if f.change.kind == "added" and (key := words(f, f.change.new_text)) is not None:
            added[key].append(f)
    for f in found:
        if f.change.kind != "removed" or (key := words(f, f.change.old_text)) is None:
            continue
        if twins := added.get(key):
            to = twins.pop(0)
            text = to.change.new_text
            to.change = _moved(to.change.section, f.change.old_text, text,
                               locator=to.change.locator)
            f.change = None  # folded into the move
    return [f for f in found if f.change is not None]
