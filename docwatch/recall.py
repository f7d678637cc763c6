"""A page's memory of what it showed recently, and the changes that only bring that back. Pure.

`diffing` compares a version with the one before it. A page that comes and goes (a wall or a
consent page for a check or two, the other side of an A/B test, a wording that flips back)
then makes changes that are not news: each brings back what the page showed a few versions
ago. Here a change is held against the passages of the page's last distinct versions:

- a passage (or entry, heading, wording) that one of them showed is `restored`;
- a passage removed that the page had already dropped once and shown again is `restored`
  too: the page went back to a variant the analyst has heard of.

So a flip between two variants alerts the first time each way, and never again while both
are remembered. The memory is a window of versions, bounded both ways (`models.MemoryWindow`): a
passage back after months, or after many other versions, is news again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .models import QUIET_CATEGORIES, Change, Document

#: The categories a remembered passage can make quiet: what adds, removes or rewrites words.
RECALLED = frozenset({"new_entry", "removed_entry", "content_added", "content_removed",
                      "text_edit", "revised_figure", "section_renamed"})


def texts_of(doc: Document) -> frozenset[str]:
    """What a version showed, as the changes quote it: its headings and its passages, with an
    entry's date and without."""
    out: set[str] = set()
    for section in doc.sections:
        if section.path:
            out.add(section.path[-1])
        for b in section.blocks:
            out.add(b.text)
            out.add(b.full_text)
    return frozenset(out)


@dataclass(frozen=True)
class Memory:
    """The texts of a page's remembered versions, oldest first (the stored version last)."""

    versions: tuple[frozenset[str], ...] = ()

    @classmethod
    def of(cls, docs: Iterable[Document]) -> Memory:
        return cls(tuple(texts_of(d) for d in docs))

    def shown(self, text: str) -> bool:
        """Whether `text` comes back: an earlier remembered version showed it, the latest
        does not (a second copy of a passage the page still shows is not a return)."""
        *earlier, latest = self.versions
        return text not in latest and any(text in v for v in earlier)

    def dropped(self, text: str) -> bool:
        """Whether `text` was shown and then gone again within the memory: its removal is one
        the analyst has heard of."""
        seen = False
        for v in self.versions:
            if text in v:
                seen = True
            elif seen:
                return True
        return False


def recall(changes: list[Change], memory: Memory,
           alert: dict[str, bool] | None = None) -> list[Change]:
    """`changes`, with the alerting ones that bring back what `memory` holds made
    `restored` (quiet, unless the source's `alert` overrides say otherwise)."""
    if not memory.versions:
        return changes
    alerts = (alert or {}).get("restored", "restored" not in QUIET_CATEGORIES)
    return [replace(c, category="restored", significance=0.1, alert=alerts)
            if c.alert and c.category in RECALLED and _known(c, memory) else c
            for c in changes]


def _known(c: Change, memory: Memory) -> bool:
    if c.kind == "removed":
        return _every_line(c.old_text, memory.dropped)
    return _every_line(c.new_text, memory.shown)


def _every_line(text: str | None, test) -> bool:
    """`test` holds for the text, or for each of its lines (a whole section is its heading
    and its passages, one a line)."""
    if not text:
        return False
    return test(text) or all(test(line) for line in text.split("\n") if line)
