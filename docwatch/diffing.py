"""Two `Document`s to a list of `Change` records. Pure.

Identity is by content, never by DOM path: sections pair by heading text, dated entries by
their date, other passages by alignment (difflib over folded text, then Levenshtein ratio
inside unequal stretches). What is left over is added, removed or, when the same text turns
up elsewhere, moved. Each modified pair is classified by SPEC's change policy.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from urllib.parse import parse_qs

from Levenshtein import ratio

from .locales import DATE_LABELS
from .matching import Terms
from .models import QUIET_CATEGORIES, Block, Change, Document, Section
from .parsing.links import FILE_RE
from .reading import Figure, Reader, reader as reader_for
from .text import common_ends, fold, is_word, tokens
from .witness import Witness, longest_increasing

PAIR_RATIO = 0.5  # passages at least this similar are one passage edited
ENTRY_REDATE_RATIO = 0.8  # an entry whose date changed but whose text barely did
MINOR_WORD_RATIO = 0.8  # SPEC: a spelling fix pairs words of Levenshtein ratio >= 0.8
MIN_TEASER = 40  # characters kept before an ellipsis that make a passage a teaser
_NOT_ALNUM_RE = re.compile(r"[\W_]+")
LOCATOR = {"paragraph": "¶", "item": "item ", "row": "row ", "link": "link "}


def diff(
    old: Document,
    new: Document,
    *,
    source: str | None = None,
    alert: dict[str, bool] | None = None,
    match: tuple[str, ...] = (),
) -> list[Change]:
    """Every change from `old` to `new`, in the new page's reading order. `alert` turns
    categories on or off; with `match`, only a change mentioning one of its terms alerts."""
    overrides = alert or {}
    rd = reader_for(new.lang or old.lang)
    out: list[_Found] = []
    pairs = _pair_sections(old.sections, new.sections)
    paired_old = {i for i, _ in pairs}
    paired_new = {j for _, j in pairs}
    leftovers: list[_Found] = []
    for i, j in pairs:
        o, n = old.sections[i], new.sections[j]
        if o.path[-1:] != n.path[-1:]:
            out.append(_modified(j, 0, list(n.path), _heading(o), _heading(n), rd, heading=True))
        if o.blocks != n.blocks:  # most sections of most checks: nothing to align
            _diff_blocks(j, o, n, out, leftovers, rd)
    found = out + leftovers
    aged = bool(old.metadata.get("age"))  # the stored version gave times relative to its check
    # Passages added to and removed from the paired sections, by their words: where a whole
    # section's passages went or came from.
    loose = {kind: _by_words(found, kind) for kind in ("added", "removed")}
    for i, s in enumerate(old.sections):
        if i not in paired_old and (s.path or s.blocks):
            found += _whole_section(_anchor_of(i, pairs), s, "removed", loose["added"], aged, rd)
    for j, s in enumerate(new.sections):
        if j not in paired_new and (s.path or s.blocks):
            found += _whole_section(j, s, "added", loose["removed"], aged, rd)
    out = _moves([f for f in found if f.change is not None])
    for j, path in _moved_sections(pairs, new.sections):
        out.append(_Found(j, 0, _moved(path, path[-1], path[-1])))
    out.sort(key=lambda f: (f.order, f.position))
    if aged:
        for f in out:
            if f.change and f.change.kind in ("modified", "added") \
                    and _aged(f.change.old_text or "", f.change.new_text or "", rd):
                f.change = replace(f.change, category="minor_edit", figures=[],
                                   significance=0.05)
    changes = _once(f.change for f in out)
    terms = Terms.of(match)
    for c in changes:
        c.source = source
        c.alert = overrides.get(c.category, c.category not in QUIET_CATEGORIES) \
            and terms.matches(c)
    return changes


COLLAPSE_SHARE = 0.2  # of the stored version's text: less is not the page
COLLAPSE_FLOOR = 200  # characters a stored version needs before a collapse can be told
_WORD_RE = re.compile(r"[^\W\d_]{3,}")


def text_size(doc: Document) -> int:
    """Characters of the document's passages (its headings and metadata aside)."""
    return sum(len(b.text) for s in doc.sections for b in s.blocks)


def collapsed(old: Document, new: Document) -> bool:
    """Whether `new` is not the page `old` was: its text collapsed to a small part of the
    stored version's (an empty body, a "Loading…" placeholder, a rate-limit or error page, a
    consent wall), or to under half of it in words the page never had. Judged by the page's
    own history, not by phrases in one language."""
    before, after = text_size(old), text_size(new)
    if before < COLLAPSE_FLOOR or after >= before / 2:
        return False
    if after < COLLAPSE_SHARE * before:
        return True
    words = set(_WORD_RE.findall(fold(new.text)))
    known = set(_WORD_RE.findall(fold(old.text)))
    return len(words & known) < 0.3 * len(words)


SENTENCE_WORDS = 6  # words that make a passage a sentence rather than a label or a button
REAL_SENTENCES = 3  # sentences a short page needs to be a page rather than a placeholder
_SPACE_RE = re.compile(r"\s+")


def substantial(doc: Document) -> bool:
    """Whether a page whose text collapsed is a short real page rather than a placeholder.

    A loading, error, rate-limit, maintenance or consent page holds a line or two, with no
    dates: a heading and "please try again", or one long paragraph about cookies. A page
    really replaced by a short one holds passages of sentences (at least three of six words
    or more) that are dated (two of them carry a date or are entries), or many of them (five
    sentences), or that link to two documents or more. Counted in any language: words,
    dates as the page's language writes them, links.
    """
    rd = reader_for(doc.lang)
    sentences = dated = linking = 0
    for block in (b for s in doc.sections for b in s.blocks):
        if len(_SPACE_RE.split(block.text.strip())) >= SENTENCE_WORDS:
            sentences += 1
        if block.date or block.kind == "entry" or any(rd.dates(block.text)):
            dated += 1
        if block.links:
            linking += 1
    return sentences >= REAL_SENTENCES and (dated >= 2 or linking >= 2 or sentences >= 5)


def collapse(old: Document, new: Document) -> str | None:
    """What a version whose text collapsed against the stored one is: "placeholder" (not the
    page: held as a failed check), "replaced" (a short real page: the page now), or None when
    it did not collapse."""
    if not collapsed(old, new):
        return None
    return "replaced" if substantial(new) else "placeholder"


def page_replaced(old: Document, new: Document, source: str | None = None) -> Change:
    """One change for a page really replaced by a short one: "page replaced: 21,267 → 1,503
    characters", with the new page's passages (not one REMOVED per section). It alerts;
    the next versions are compared with the short page, as with any page."""
    before, after = text_size(old), text_size(new)
    passages = "\n".join(b.full_text for s in new.sections for b in s.blocks)
    return Change([], "modified", "page_replaced", old.text, passages,
                  [["-", f"{before:,} characters"], ["+", f"{after:,} characters"]],
                  [], 0.9, True, source=source, locator="the whole page")


def content_removed(old: Document, new: Document, source: str | None = None) -> Change:
    """The change a history recorded before docwatch held every collapse as a status (a
    collapse that persisted became a version): kept as recorded by `reparse`, never the
    baseline the next version is compared with."""
    now = new.text.strip() or "(no text)"
    return Change([], "removed", "content_removed", old.text, now, [["-", old.text], ["+", now]],
                  [], 0.9, False, source=source, locator="the whole page")


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


# --- sections -----------------------------------------------------------------------------


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


def _moved(path: list[str], old: str | None, new: str | None, *,
           locator: str | None = None) -> Change:
    """A passage (or section) found elsewhere with the same words: quiet."""
    return Change(path, "moved", "moved", old, new, [["=", new or ""]], [], 0.1, False,
                  locator=locator)


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


# --- passages -----------------------------------------------------------------------------


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


def _link_key(href: str) -> str:
    """A link's identity: scheme and a leading "www." do not make another link."""
    bare = href.split("://", 1)[-1]
    return bare[4:] if bare.startswith("www.") else bare


def _link_name(href: str) -> str:
    """A link target as an analyst reads it: the file or last path part, not the whole URL."""
    path = href.split("?", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] or href


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


# --- classification -----------------------------------------------------------------------


def _word_ops(a: list[str], b: list[str]):
    ops: list[list[str]] = []
    changed: list[tuple[list[str], list[str]]] = []

    def put(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1][0] == op:
            ops[-1][1] += text
        else:
            ops.append([op, text])

    # An edit touches a few words of a long passage: match the common head and tail directly
    # and leave difflib (quadratic in repeated tokens such as spaces) only the middle.
    head, tail = common_ends(a, b)
    put("=", "".join(a[:head]))
    mid_a, mid_b = a[head:len(a) - tail], b[head:len(b) - tail]
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, mid_a, mid_b, autojunk=False).get_opcodes():
        if tag == "equal":
            put("=", "".join(mid_a[i1:i2]))
        else:
            put("-", "".join(mid_a[i1:i2]))
            put("+", "".join(mid_b[j1:j2]))
            changed.append((mid_a[i1:i2], mid_b[j1:j2]))
    put("=", "".join(a[len(a) - tail:]))
    return ops, changed


def figure_changes(old: str, new: str, rd: Reader) -> list[dict[str, str | None]]:
    """Figures (numbers, percentages, amounts, dates) that differ, paired in reading order;
    dates carry their ISO form too (`old_iso`, `new_iso`)."""
    return _figure_pairs(rd.figures(old), rd.figures(new))


def _figure_pairs(fa: list[Figure], fb: list[Figure]) -> list[dict[str, str | None]]:
    """`figure_changes` of two passages' figures, read once by the caller."""
    ka, kb = [f.key for f in fa], [f.key for f in fb]
    out: list[dict[str, str | None]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        olds, news = fa[i1:i2], fb[j1:j2]
        for k in range(max(len(olds), len(news))):
            a = olds[k] if k < len(olds) else None
            b = news[k] if k < len(news) else None
            pair = {"old": a and a.text, "new": b and b.text}
            if a and a.iso or b and b.iso:
                pair |= {"old_iso": a and a.iso, "new_iso": b and b.iso}
            out.append(pair)
    return out


def _squeeze(text: str) -> str:
    return _NOT_ALNUM_RE.sub("", fold(text))


def classify(old: str, new: str, rd: Reader | None = None,
             ) -> tuple[str, list[list[str]], list[dict], float]:
    """(category, word diff, figures, significance) for one passage edited; dates and figures
    are read in `rd`'s language (English by default)."""
    ops, changed = _word_ops(tokens(old), tokens(new))
    if _squeeze(old) == _squeeze(new):
        return "minor_edit", ops, [], 0.05  # spacing, case, punctuation or quote style
    rd = rd or reader_for(None)
    if _renumbered(old, new, rd):
        return "moved", ops, [], 0.1  # "2. Expand conscription." now third: the list changed
    if _cut_elsewhere(old, new):
        return "minor_edit", ops, [], 0.05  # a teaser of another page, cut at another word
    fa, fb = rd.figures(old), rd.figures(new)
    if figs := _figure_pairs(fa, fb):
        return "revised_figure", ops, figs, round(min(0.95, 0.8 + 0.05 * len(figs)), 2)
    if _restated(old, fa) == _restated(new, fb):
        return "minor_edit", ops, [], 0.05  # "EUR 2.5 billion" written "EUR 2,500 million"
    if _is_spelling(changed):
        return "minor_edit", ops, [], 0.05
    touched = sum(len("".join(x)) + len("".join(y)) for x, y in changed)
    share = touched / max(1, len(old) + len(new))
    return "text_edit", ops, [], round(min(0.7, 0.3 + share), 2)


# A passage's number in a list written out as text: "2. ", "(3) ", "12) ".
_ENUMERATOR_RE = re.compile(r"\(?\d{1,3}[.)]\s+")


def _renumbered(old: str, new: str, rd: Reader) -> bool:
    """The same passage under another number of a list numbered in its text; not a date that
    opens with its day ("3. Dezember 2026: …", "3. decembrī …"), whose day is a figure."""
    a, b = _ENUMERATOR_RE.match(old), _ENUMERATOR_RE.match(new)
    if not (a and b) or old[a.end():] != new[b.end():]:
        return False
    first = old[a.end():].split(maxsplit=1)[:1]
    return not (first and rd.month_of(first[0].strip(",:;")))


def _restated(text: str, figures: list[Figure]) -> str:
    """A passage with each figure written as its key: passages equal so say the same, however
    their figures are written ("EUR 2.5 billion", "EUR 2,500 million")."""
    for f in figures:
        text = text.replace(f.text, f" {f.key} ", 1)
    return _squeeze(text)


_LETTERS_RE = re.compile(r"[^\W\d_]+")


def _aged(old: str, new: str, rd: Reader) -> bool:
    """The same passage with a date more (its clock time and labels: "Posted on … at"), or a
    date alone added: what a page wrote relative to its check ("2 days ago", "Posted
    yesterday at 16:40", cut when parsed) written as a date once it aged, as item lists do."""
    if len(list(rd.dates(new))) <= len(list(rd.dates(old))):
        return False
    a, b = (_LETTERS_RE.findall(fold(rd.undated(text))) for text in (old, new))
    return all(tag == "equal" or tag == "insert" and DATE_LABELS.issuperset(b[j1:j2])
               for tag, _, _, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes())


_ELLIPSIS_RE = re.compile(r"\s*(?:…|\.\.\.)$")


def _cut_elsewhere(old: str, new: str) -> bool:
    """A passage cut short with an ellipsis ("… and to…") whose other version is the same
    text cut later or whole: the site's teaser length, not the words."""
    if not (old.rstrip().endswith(("…", "...")) or new.rstrip().endswith(("…", "..."))):
        return False  # the expression is tried at every character of a long passage
    (short, cut), (long, _) = sorted(((text, _ELLIPSIS_RE.search(text)) for text in (old, new)),
                                     key=lambda pair: len(pair[0]))
    if not cut:
        return False
    kept = short[:cut.start()]
    return len(kept) >= MIN_TEASER and long.startswith(kept)


def _is_spelling(changed: list[tuple[list[str], list[str]]]) -> bool:
    """SPEC's minor-edit rule: every changed word pairs with a look-alike, no digit, none added."""
    for a, b in changed:
        # Words of the folded text: a quote inside a word ("People‘s" → "People's") is style.
        wa = [t for t in tokens(fold("".join(a))) if is_word(t)]
        wb = [t for t in tokens(fold("".join(b))) if is_word(t)]
        if len(wa) != len(wb):
            return False
        for x, y in zip(wa, wb):
            if any(ch.isdigit() for ch in x + y) or ratio(x, y) < MINOR_WORD_RATIO:
                return False
    return True
