"""Pairing dated entries by their date and records by their key (a form number, a law's
identifier), and naming a record as an analyst does."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from Levenshtein import ratio

from ..models import Block
from ..reading import Reader
from ..text import fold
from .found import PAIR_RATIO, _whole


ENTRY_REDATE_RATIO = 0.8  # an entry whose date changed but whose text barely did


def _pair_entries(old, new, out, order, path, rd: Reader):
    """Entries pair by date; several under one date, or a corrected date, pair by text."""
    by_date: dict[str, list] = defaultdict(list)
    for item in new:
        by_date[rd.date_key(item[1].date)].append(item)
    # The one entry of a date on both sides is the same entry, whatever its words became;
    # of several under one date (a day's publications), only those whose words say so are:
    # the day's newest pushing its oldest off the list is one added and one removed.
    alone = {key for key, n in Counter(rd.date_key(b.date) for _, b in old).items()
             if n == 1 and len(by_date.get(key, ())) == 1}
    pairs, lost = [], []
    for item in old:
        key = rd.date_key(item[1].date)
        same = by_date.get(key)
        if same and key in alone:
            pairs.append((item, same.pop()))
            continue
        similar, best = max(((ratio(item[1].text, c[1].text), c) for c in same or ()),
                            key=lambda pair: pair[0], default=(0.0, None))
        if best and similar >= PAIR_RATIO:
            same.remove(best)
            pairs.append((item, best))
        else:
            lost.append(item)
    found = [item for items in by_date.values() for item in items]
    for item in list(lost):
        best = max(found, key=lambda c: ratio(item[1].text, c[1].text), default=None)
        if best and ratio(item[1].text, best[1].text) >= ENTRY_REDATE_RATIO:
            found.remove(best)
            lost.remove(item)
            pairs.append((item, best))
    for k, b in lost:
        out.append(_whole(order, k, path + [b.date], "removed", b.text, entry=True, block=b,
                          date=rd.iso(b.date)))
    for k, b in found:
        out.append(_whole(order, k, path + [b.date], "added", b.text, entry=True, block=b,
                          date=rd.iso(b.date)))
    return pairs


def _lend_keys(records, plain, other):
    """A register read as records on one side only (it shrank below the rows that make one,
    or grew past them): the other side's rows and items take their keys from the same place,
    so a row gone is one removed entry, not a table re-read. Returns (records, plain) of
    `other`; unchanged when its keys would not be unique."""
    cells = {b.text.split(" | ").index(b.key) for _, b in records
             if b.kind == "row" and b.key in b.text.split(" | ")}
    column = cells.pop() if len(cells) == 1 else None
    items = all(r.kind == "item" for _, r in records)
    shared = {b.text for _, b in plain}  # a header row on both sides stays a header
    lent, rest = [], []
    for k, b in other:
        key = None
        if b.text not in shared and b.kind == "row" and column is not None:
            parts = b.text.split(" | ")
            key = parts[column] if column < len(parts) else None
        elif b.text not in shared and b.kind == "item" and items and b.text.strip():
            key = b.text.split(maxsplit=1)[0].rstrip(":.–—-")
        if key:
            lent.append((k, replace(b, key=key)))
        else:
            rest.append((k, b))
    if len({fold(b.key) for _, b in lent}) < len(lent):
        return [], other
    return lent, rest


def _pair_records(old, new, out, order, path):
    """Records pair by their key; a key gone is a removed entry, a new key a new one."""
    by_key = {fold(b.key): (k, b) for k, b in new}
    pairs = []
    for k, b in old:
        if (twin := by_key.pop(fold(b.key), None)) is not None:
            pairs.append(((k, b), twin))
        else:
            out.append(_whole(order, k, path + [record_name(b)], "removed", b.text, entry=True,
                              block=b, keyed=True))
    for k, b in by_key.values():
        out.append(_whole(order, k, path + [record_name(b)], "added", b.text, entry=True,
                          block=b, keyed=True))
    return pairs


def record_name(b: Block) -> str:
    """A record as an analyst names it: its key and its title ("118-3 · Request for leave")."""
    key = b.key or ""
    cells = [c for c in b.text.split(" | ") if c and fold(c) != fold(key)]
    title = next((c for c in cells if any(ch.isalpha() for ch in c)), "")
    if key and title.startswith(key):  # "118-3 Request for leave", "XIII-1021: Law on …"
        title = title[len(key):].lstrip(" :.–—-")
    if len(title) > 60:
        title = title[:59].rstrip() + "…"
    return f"{b.key} · {title}" if title else b.key or ""


def _columns(blocks: Sequence[Block]) -> list[str]:
    """The names of a table's columns: its header row, the row before its first record."""
    last = None
    for b in blocks:
        if b.key and b.kind == "row":
            return last.text.split(" | ") if last is not None else []
        last = b if b.kind == "row" else None
    return []


def _changed_columns(old: str, new: str, columns: list[str]) -> str | None:
    a, b = old.split(" | "), new.split(" | ")
    if len(a) != len(b) or len(columns) != len(b):
        return None
    return ", ".join(name for name, x, y in zip(columns, a, b) if x != y) or None
