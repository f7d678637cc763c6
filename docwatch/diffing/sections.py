"""Pairing sections: by heading path, else by the passages they share; what a section
whole added or removed brought or took, and sections moved."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from Levenshtein import ratio

from ..models import Section
from ..reading import Reader
from ..text import fold
from ..witness import longest_increasing
from .classify import _squeeze
from .found import _Found, _moved, _whole
from .moves import ENTRY_CATEGORIES


def _heading(s: Section) -> str:
    return s.path[-1] if s.path else ""


def _section_text(s: Section) -> str:
    return "\n".join(p for p in (_heading(s), s.text) if p)


def _by_words(found: list[_Found], kind: str) -> dict[str, list[_Found]]:
    """The passages `kind` (added or removed) outside whole sections, by their words."""
    side = "new_text" if kind == "added" else "old_text"
    out: dict[str, list[_Found]] = defaultdict(list)
    for f in found:
        if f.change.kind == kind and (f.leftover or f.change.category in ENTRY_CATEGORIES):
            out[_squeeze(getattr(f.change, side) or "")].append(f)
    return out


def _whole_section(order: int, s: Section, kind: str, loose: dict[str, list[_Found]],
                   aged: bool, rd: Reader) -> list[_Found]:
    """A section added (or removed) whole: one change, unless every passage of it was
    removed from (or added to) the other sections (`loose`, by their words). Then they moved
    under a new heading (a day's group of news whose "Yesterday" is a date now, items
    regrouped): each passage is a quiet move and the heading alone is added (or removed), no
    news where it is a date written for a day the stored version named relative to its
    check."""
    keys = [_squeeze(b.full_text) for b in s.blocks]
    if not keys or any(len(loose.get(k, ())) < keys.count(k) for k in set(keys)):
        return [_whole(order, 0, list(s.path), kind, _section_text(s))]
    taken = [loose[k].pop(0) for k in keys]
    moved = []
    for k, (b, f) in enumerate(zip(s.blocks, taken), 1):
        old_text, new_text = (f.change.old_text, b.full_text) if kind == "added" else \
            (b.full_text, f.change.new_text)
        moved.append(_Found(order, k, _moved(list(s.path), old_text, new_text)))
        f.change = None  # folded into the move
    heading = _heading(s)
    if heading and not (aged and rd.date_re.fullmatch(heading)):
        moved.append(_whole(order, 0, list(s.path), kind, heading))
    return moved


def _pair_sections(old: Sequence[Section], new: Sequence[Section]) -> list[tuple[int, int]]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(new):
        by_key[fold(_heading(s))].append(j)
    pairs = []
    for i, s in enumerate(old):
        if candidates := by_key.get(fold(_heading(s))):
            pairs.append((i, candidates.pop(0)))
    # A heading renamed in place: leftovers between the same neighbours, at the same depth,
    # with a similar heading or shared passages.
    used_old = {i for i, _ in pairs}
    used_new = {j for _, j in pairs}
    for i, s in enumerate(old):
        if i in used_old or not s.path:
            continue
        gap = _gap(i, pairs, len(new))
        for j in range(*gap):
            n = new[j]
            if j in used_new or len(n.path) != len(s.path):
                continue
            if (
                len(s.path) == 1
                or ratio(fold(_heading(s)), fold(_heading(n))) >= 0.5
                or _overlap(s, n) >= 0.3
            ):
                pairs.append((i, j))
                used_old.add(i)
                used_new.add(j)
                break
    return sorted(pairs)


def _gap(i: int, pairs: list[tuple[int, int]], n_new: int) -> tuple[int, int]:
    """The range of new indexes between the paired neighbours of old section `i`."""
    before = [j for oi, j in pairs if oi < i]
    after = [j for oi, j in pairs if oi > i]
    lo = max(before) + 1 if before else 0
    hi = min(after) if after else n_new
    return lo, max(lo, hi)


def _anchor_of(i: int, pairs: list[tuple[int, int]]) -> int:
    before = [j for oi, j in pairs if oi < i]
    return max(before) if before else 0


def _overlap(a: Section, b: Section) -> float:
    ka = Counter(fold(x.text) for x in a.blocks)
    kb = Counter(fold(x.text) for x in b.blocks)
    return sum((ka & kb).values()) / max(1, len(a.blocks), len(b.blocks))


def _moved_sections(pairs: list[tuple[int, int]], new: Sequence[Section]):
    """Paired sections outside the longest run that kept its order."""
    seq = [j for _, j in sorted(pairs)]
    keep = set(longest_increasing(seq))
    for j in seq:
        if j not in keep and new[j].path:
            yield j, list(new[j].path)
