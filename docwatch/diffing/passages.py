"""Aligning a paired section's passages (difflib over folded text, then Levenshtein
inside unequal stretches), checking block changes against the section's words (`witness`),
and comparing a pair of passages and their links."""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher
from urllib.parse import parse_qs

from Levenshtein import ratio

from ..models import Block, Change, Section
from ..parsing.links import FILE_RE
from ..reading import Reader
from ..text import common_ends, fold
from ..witness import Witness
from .classify import _squeeze
from .found import (PAIR_RATIO, _Found, _link, _link_key, _link_name, _locator, _modified,
                    _whole)
from .records import (_changed_columns, _columns, _lend_keys, _pair_entries, _pair_records,
                      record_name)


def _diff_blocks(order: int, o: Section, n: Section, out: list, leftovers: list,
                 rd: Reader) -> None:
    path = list(n.path)
    old_entries = [(k, b) for k, b in enumerate(o.blocks, 1) if b.date]
    new_entries = [(k, b) for k, b in enumerate(n.blocks, 1) if b.date]
    old_records = [(k, b) for k, b in enumerate(o.blocks, 1) if b.key and not b.date]
    new_records = [(k, b) for k, b in enumerate(n.blocks, 1) if b.key and not b.date]
    old_plain = [(k, b) for k, b in enumerate(o.blocks, 1) if not b.date and not b.key]
    new_plain = [(k, b) for k, b in enumerate(n.blocks, 1) if not b.date and not b.key]
    if old_records and not new_records:
        new_records, new_plain = _lend_keys(old_records, old_plain, new_plain)
    elif new_records and not old_records:
        old_records, old_plain = _lend_keys(new_records, new_plain, old_plain)

    found: list[_Found] = []
    for (ko, bo), (kn, bn) in _pair_entries(old_entries, new_entries, found, order, path, rd):
        _compare(order, (ko, kn), path + [bn.date], bo, bn, found, rd)
    columns = _columns(n.blocks) or _columns(o.blocks)
    for (ko, bo), (kn, bn) in _pair_records(old_records, new_records, found, order, path):
        mark = len(found)
        _compare(order, (ko, kn), path + [record_name(bn)], bo, bn, found, rd)
        for f in found[mark:]:
            f.keyed = True
            if f.href is None:
                f.change.locator = _changed_columns(bo.text, bn.text, columns)
    for (ko, bo), (kn, bn) in _align(old_plain, new_plain, found, order, path):
        _compare(order, (ko, kn), path, bo, bn, found, rd)
    if found:
        found = _witnessed(found, o, n, order, path, rd)
    for f in found:
        (leftovers if f.leftover else out).append(f)


def _witnessed(found: list[_Found], o: Section, n: Section, order: int, path: list[str],
               rd: Reader) -> list[_Found]:
    """Block-level changes, as the section's words bear them out (see `witness`): text only
    cut into blocks differently is no change; where words did change, the change of the new
    passage that holds them shows exactly those words."""
    w = Witness(o.blocks, n.blocks, _link_key)
    verdicts = {id(f): _verdict(w, f) for f in found}
    rebuild = {f.new_k - 1 for f in found if verdicts[id(f)] == "rebuild"}

    def accounted(k: int) -> bool:  # old passage k's words are kept or shown by a rebuilt one
        return w.old_intact(k, links=False) or not w.old_wholly_gone(k) and w.covers(k, rebuild)

    kept: list[_Found] = []
    reread: set[int] = set()  # new passages already re-read
    orphaned: set[int] = set()  # old passages already reported removed
    for f in found:
        v = verdicts[id(f)]
        if v == "removed":  # a passage removed: no change if its words and links are all kept
            b = o.blocks[f.old_k - 1]
            if not accounted(f.old_k - 1):
                kept.append(f)
            else:  # its words live on; a link of it that did not is a link removed
                kept += [_link(order, f.old_k, path, b, href, "-", None) for href in
                         dict.fromkeys(b.links) if not w.link_kept(href)]
            continue
        if v == "keep":
            kept.append(f)
        elif v == "minor":
            f.change.category, f.change.figures, f.change.significance = "minor_edit", [], 0.05
            kept.append(f)
        elif v == "rebuild" and f.new_k - 1 not in reread:
            reread.add(f.new_k - 1)
            if (again := _reread(w, f.new_k, n.blocks[f.new_k - 1], order, path, rd)):
                kept.append(again)
        if v in ("drop", "rebuild") and f.change.kind == "modified" and f.old_k \
                and not accounted(f.old_k - 1) and f.old_k not in orphaned:
            # The passage it was paired with holds other words now: this one was removed.
            orphaned.add(f.old_k)
            b = o.blocks[f.old_k - 1]
            kept.append(_whole(order, f.old_k, path + [b.date] if b.date else path, "removed",
                               b.text, entry=bool(b.date), block=b, date=rd.iso(b.date)
                               if b.date else None, leftover=not b.date))
    return kept


def _verdict(w: Witness, f: _Found) -> str:
    """What the words say of one block-level change: keep, minor, drop, rebuild (re-read the
    new passage against the old words it holds), or removed (judged with the rebuilt ones)."""
    c = f.change
    if f.href is not None:
        return "drop" if w.link_kept(f.href) else "keep"
    if f.keyed:  # a record stands by its key; only the same words moved are no change
        intact = (w.new_intact(f.new_k - 1) if c.kind == "added" else
                  w.old_intact(f.old_k - 1) if c.kind == "removed" else False)
        return "drop" if intact else "keep"
    if c.kind == "removed":
        return "removed"
    if w.new_wholly_new(f.new_k - 1):  # holds no old words: as it was found
        return "keep"
    if c.kind == "modified" and w.holds_exactly(f.new_k - 1, f.old_k - 1):
        # Paired as the witness pairs it: words the layout merely repeats make it minor.
        return "minor" if w.new_intact(f.new_k - 1) else "keep"
    return "drop" if w.new_intact(f.new_k - 1) else "rebuild"


def _reread(w: Witness, k: int, block: Block, order: int, path: list[str], rd: Reader,
            ) -> _Found | None:
    """The change of new passage `k` (from 1) against the old words it holds now."""
    before, now = w.before(k - 1), block.full_text
    if _squeeze(before) == _squeeze(now):
        return None
    date = rd.iso(block.date) if block.date else None
    found = _modified(order, k, path + [block.date] if block.date else path, before, now, rd,
                      block=block, date=date)
    found.new_k = k
    return found


def _block_key(b: Block) -> str:
    return fold(b.text) + ("\x00" + " ".join(b.links) if b.kind == "link" else "")


def _align(old, new, leftovers: list, order: int, path: list[str]):
    """Pair passages: equal runs by difflib, then the most similar inside each unequal run."""
    # The passages a section keeps at its start and end pair as they are: only the middle,
    # where it changed, is keyed and matched.
    head, tail = common_ends([b for _, b in old], [b for _, b in new])
    pairs = list(zip(old[:head], new[:head]))
    ends = list(zip(old[len(old) - tail:], new[len(new) - tail:]))
    old, new = old[head:len(old) - tail], new[head:len(new) - tail]
    a = [_block_key(b) for _, b in old]
    b = [_block_key(x) for _, x in new]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs.extend(zip(old[i1:i2], new[j1:j2]))
            continue
        free = list(range(j1, j2))
        last = j1 - 1
        for i in range(i1, i2):
            candidates = [j for j in free if j > last]
            best = max(candidates, key=lambda j: ratio(a[i], b[j]), default=None)
            if best is not None and ratio(a[i], b[best]) >= PAIR_RATIO:
                pairs.append((old[i], new[best]))
                free.remove(best)
                last = best
            else:
                k, blk = old[i]
                leftovers.append(_whole(order, k, path, "removed", blk.text, block=blk,
                                        leftover=True))
        for j in free:
            k, blk = new[j]
            leftovers.append(_whole(order, k, path, "added", blk.text, block=blk, leftover=True))
    return pairs + ends


def _compare(order: int, places: tuple[int, int], path: list[str], o: Block, n: Block,
             out: list, rd: Reader) -> None:
    """The changes of one paired passage; `places`: its place (from 1) in each section."""
    position = places[1]
    mark = len(out)
    _compare_passage(order, position, path, o, n, out, rd)
    for f in out[mark:]:
        f.old_k, f.new_k = places


def _compare_passage(order: int, position: int, path: list[str], o: Block, n: Block,
                     out: list, rd: Reader) -> None:
    date = rd.iso(n.date) if n.date else None
    if o.date and n.date and rd.date_key(o.date) != rd.date_key(n.date):
        # A corrected date: the dates are the figures that changed, beside any text edit.
        out.append(_modified(order, position, path, f"{o.date} {o.text}", f"{n.date} {n.text}",
                             rd, block=n, date=date))
    elif o.text != n.text:
        out.append(_modified(order, position, path, o.text, n.text, rd, block=n, date=date))
    if o.links == n.links:
        return
    old_links = {_link_key(h): h for h in o.links}
    new_links = {_link_key(h): h for h in n.links}
    gone = list((Counter(map(_link_key, o.links)) - Counter(map(_link_key, n.links))).elements())
    came = list((Counter(map(_link_key, n.links)) - Counter(map(_link_key, o.links))).elements())
    # As many links gone as came: the same links pointing elsewhere. Only a token in the
    # query (made per request) is no change at all; another document in the same place (a
    # report replaced by the next one) alerts; another address for the same (a URL scheme
    # changed) is recorded, quietly. A link added or removed alerts.
    retargeted = min(len(gone), len(came))
    pairs = [(old_links[g], new_links[c]) for g, c in zip(gone, came)
             if not _only_tokens_differ(old_links[g], new_links[c])]
    if pairs:
        old_names = ", ".join(_link_name(a) for a, _ in pairs)
        new_names = ", ".join(_link_name(b) for _, b in pairs)
        other = any(_another_document(a, b) for a, b in pairs)
        out.append(_Found(order, position, Change(
            path, "modified", "text_edit" if other else "minor_edit", f"{n.text} <{old_names}>",
            f"{n.text} <{new_names}>",
            [["=", f"{n.text} <"], ["-", old_names], ["+", new_names], ["=", ">"]], [],
            0.5 if other else 0.2, True, locator=_locator(n, position), date=date)))
    for key in gone[retargeted:]:
        out.append(_link(order, position, path, n, old_links[key], "-", date))
    for key in came[retargeted:]:
        out.append(_link(order, position, path, n, new_links[key], "+", date))


_TOKEN_RE = re.compile(r"(?=[^&=]*\d)(?=[^&=]*[A-Za-z])[\w\-.~%]{8,}|[0-9a-fA-F]{8,}")


def _only_tokens_differ(old: str, new: str) -> bool:
    """The same address whose query differs only in values that are tokens (8 or more
    characters of letters and digits mixed, or hex): made per request, not another link."""
    (base_a, _, query_a), (base_b, _, query_b) = old.partition("?"), new.partition("?")
    if _link_key(base_a) != _link_key(base_b):
        return False
    a, b = parse_qs(query_a, keep_blank_values=True), parse_qs(query_b, keep_blank_values=True)
    return a.keys() == b.keys() and all(
        a[k] == b[k] or all(map(_TOKEN_RE.fullmatch, a[k] + b[k])) for k in a)


def _another_document(old: str, new: str) -> bool:
    """Another file in the same place: the same host and folder, another file's name (a
    link to a page that now names another page is the same item re-linked, often)."""
    if not FILE_RE.search(new):
        return False
    a, b = _link_key(old.split("?", 1)[0]), _link_key(new.split("?", 1)[0])
    folder_a, _, name_a = a.rstrip("/").rpartition("/")
    folder_b, _, name_b = b.rstrip("/").rpartition("/")
    return bool(folder_a) and folder_a == folder_b and name_a != name_b
