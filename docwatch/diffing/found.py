"""What the differ finds, before it is a change record: a change with where it stands in
the new page, and the constructors the steps make them with."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Block, Change
from ..reading import Reader
from .classify import classify


PAIR_RATIO = 0.5  # passages at least this similar are one passage edited
LOCATOR = {"paragraph": "¶", "item": "item ", "row": "row ", "link": "link "}


def _once(changes) -> list[Change]:
    """One change, one record: the same edit in a block the page repeats (an FAQ shown as an
    overview and as an accordion) is kept once, its locator naming the other places."""
    first: dict[tuple, Change] = {}
    out: list[Change] = []
    for c in changes:
        key = (c.kind, c.category, c.old_text, c.new_text)
        if c.kind == "moved" or key not in first:
            first[key] = c
            out.append(c)
            continue
        kept = first[key]
        place = " › ".join(c.section) + (f" {c.locator}" if c.locator else "")
        kept.locator = (f"{kept.locator} · " if kept.locator else "") + f"also in {place}"
    return out


@dataclass
class _Found:
    order: int  # new-section index (or the old section's place) for reading order
    position: int
    change: Change | None
    old_k: int | None = None  # the passage's place (from 1) in the old section, if it had one
    new_k: int | None = None  # ... and in the new section
    href: str | None = None  # a link added or removed
    keyed: bool = False  # a record's change: matched by its key, never re-read from words
    leftover: bool = False  # a passage removed or added outside entries: it may have moved


def _moved(path: list[str], old: str | None, new: str | None, *,
           locator: str | None = None) -> Change:
    """A passage (or section) found elsewhere with the same words: quiet."""
    return Change(path, "moved", "moved", old, new, [["=", new or ""]], [], 0.1, False,
                  locator=locator)


def _link(order, position, path, block: Block, href: str, op: str, date: str | None) -> _Found:
    removed = op == "-"
    text = block.text
    name = _link_name(href)  # a link as an analyst reads it, never its raw URL
    return _Found(order, position, Change(
        path, "modified", "content_removed" if removed else "content_added",
        f"{text} <{name}>" if removed else text, text if removed else f"{text} <{name}>",
        [["=", text], [op, f" <{name}>"]], [], 0.5, True, locator=_locator(block, position),
        date=date,
    ), href=href)


def _locator(block: Block | None, position: int) -> str | None:
    if block is None or block.date or block.key or position == 0:
        return None
    return f"{LOCATOR.get(block.kind, '¶')}{position}"


def _whole(order, position, path, kind, text, *, entry=False, block=None, date=None,
           leftover=False, keyed=False) -> _Found:
    added = kind == "added"
    if entry:
        category, significance = ("new_entry", 0.9) if added else ("removed_entry", 0.8)
    else:
        category = "content_added" if added else "content_removed"
        significance = round(min(0.75, 0.5 + len(text) / 2000), 2)
        if position == 0:
            significance = 0.7  # a whole section
    return _Found(order, position, Change(
        path, kind, category, None if added else text, text if added else None,
        [["+" if added else "-", text]], [], significance, True,
        locator=_locator(block, position), date=date,
    ), old_k=None if added else position, new_k=position if added else None,
        leftover=leftover, keyed=keyed)


def _modified(order, position, path, old, new, rd: Reader, *, block=None, heading=False,
              date=None) -> _Found:
    category, ops, figs, significance = classify(old, new, rd)
    if heading and category != "minor_edit":
        category, significance = "section_renamed", 0.6
    return _Found(order, position, Change(
        path, "modified", category, old, new, ops, figs, significance, True,
        locator=None if heading else _locator(block, position), date=date,
    ))


def _link_key(href: str) -> str:
    """A link's identity: scheme and a leading "www." do not make another link."""
    bare = href.split("://", 1)[-1]
    return bare[4:] if bare.startswith("www.") else bare


def _link_name(href: str) -> str:
    """A link target as an analyst reads it: the file or last path part, not the whole URL."""
    path = href.split("?", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] or href
