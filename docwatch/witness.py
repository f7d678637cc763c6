"""The words are the witness: which of a section's words really changed. Pure.

Passages are aligned block by block, so the same words cut into blocks differently (two
paragraphs merged, a table turned into cards, a date moved into its own element, a PDF's
lines re-joined) look like passages removed and added. The witness compares the section's
words as one stream, in order, after the minor-edit folding: a word it keeps is not a change,
whatever block it now stands in. `diffing` asks it of every block-level change.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .models import Block
from .text import common_ends, fold

#: Past this many words on either side of an unequal stretch, difflib's popular-word
#: heuristic is let in: a whole page rewritten stays fast, at worst a few alerts more.
_EXACT_LIMIT = 4000
KEPT_SHARE = 0.5  # of its words an old passage keeps when it was re-cut or edited
_STRAY_RUN = 2  # words: an equal run this short beside a rewrite is a coincidence
_DUPLICATE_REACH = 4  # a layout repeating a number ("2023 · 11 July 2023") within this many words


@dataclass
class _Stream:
    """A section's words in order: each word's key, its display text and its block."""

    keys: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    block: list[int] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # per block: [start, end)
    kept: list[bool] = field(default_factory=list)
    links: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, blocks: Sequence[Block], link_key) -> _Stream:
        s = cls()
        for k, b in enumerate(blocks):
            start = len(s.keys)
            keys, shown = _words(full_text(b))
            s.keys.extend(keys)
            s.shown.extend(shown)
            s.block.extend([k] * len(keys))
            s.spans.append((start, len(s.keys)))
            if b.links:
                s.links.update(map(link_key, b.links))
        s.kept = [False] * len(s.keys)
        return s

    def block_keys(self) -> list[tuple[str, ...]]:
        return [tuple(self.keys[a:b]) for a, b in self.spans]

    def intact(self, k: int) -> bool:
        a, b = self.spans[k]
        return all(self.kept[a:b])

    def touched(self, k: int) -> bool:
        a, b = self.spans[k]
        return any(self.kept[a:b])


def _matched(old: _Stream, a1: int, a2: int, new: _Stream, b1: int, b2: int, *, breaks: bool,
             ) -> tuple[list[tuple[int, int]], list[tuple[str, list[int]]]]:
    """The (old, new) words a difflib alignment keeps, and the words it only adds or drops."""
    if breaks:
        a, a_at = _with_breaks(old, a1, a2)
        b, b_at = _with_breaks(new, b1, b2)
    else:
        a, a_at = old.keys[a1:a2], list(range(a1, a2))
        b, b_at = new.keys[b1:b2], list(range(b1, b2))
    big = max(len(a), len(b)) > _EXACT_LIMIT
    ops = SequenceMatcher(None, a, b, autojunk=big).get_opcodes()
    kept = [(i, j) for k, (tag, i1, i2, j1, j2) in enumerate(ops)
            if tag == "equal" and not _stray(ops, k)
            for i, j in zip(a_at[i1:i2], b_at[j1:j2]) if i is not None and j is not None]
    alone = [(tag, [x for x in (a_at[i1:i2] if tag == "delete" else b_at[j1:j2])
                    if x is not None])
             for tag, i1, i2, j1, j2 in ops if tag in ("insert", "delete")]
    return kept, alone


def _stray(ops: list, k: int) -> bool:
    """An equal run of a word or two between rewritten stretches ("the", "and" in text that
    was replaced): a coincidence, not words kept."""
    _, i1, i2, _, _ = ops[k]
    if i2 - i1 > _STRAY_RUN:
        return False
    around = [ops[x] for x in (k - 1, k + 1) if 0 <= x < len(ops)]
    return any(max(o[2] - o[1], o[4] - o[3]) > 2 * _STRAY_RUN for o in around)


def _with_breaks(s: _Stream, lo: int, hi: int) -> tuple[list[str], list[int | None]]:
    """Words `lo`…`hi` of a stream with a break token between blocks, and where each was."""
    seq: list[str] = []
    at: list[int | None] = []
    k = s.block[lo]
    while True:
        a, b = s.spans[k]
        a, b = max(a, lo), min(b, hi)
        if a < b:
            if seq:
                seq.append("\x00")
                at.append(None)
            seq.extend(s.keys[a:b])
            at.extend(range(a, b))
        if b >= hi:
            return seq, at
        k += 1


def _anchors(a: list, b: list) -> list[tuple[int, int]]:
    """Pairs (i, j) of items found exactly once in `a` and once in `b`, the longest run of
    them that keeps its order."""
    count_a, count_b = Counter(a), Counter(b)
    once_b = {x: j for j, x in enumerate(b) if count_b[x] == 1}
    both = [(i, once_b[x]) for i, x in enumerate(a) if x and count_a[x] == 1 and x in once_b]
    keep = set(longest_increasing([j for _, j in both]))
    return [(i, j) for i, j in both if j in keep]


def longest_increasing(seq: list[int]) -> list[int]:
    """The longest strictly increasing subsequence of `seq` (patience sorting)."""
    import bisect

    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(seq)
    for k, x in enumerate(seq):
        p = bisect.bisect_left(tails, x)
        if p == len(tails):
            tails.append(x)
            tails_idx.append(k)
        else:
            tails[p] = x
            tails_idx[p] = k
        prev[k] = tails_idx[p - 1] if p else -1
    out = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        out.append(seq[k])
        k = prev[k]
    return out[::-1]


_WORD_RE = re.compile(r"\w+(?:[.,'’]\w+)*")


@functools.lru_cache(maxsize=32768)  # a page's passages come back check after check
def _words(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A passage's words: their keys (as `fold` compares them) and their display text, each
    with the spacing and punctuation that follow it."""
    found = list(_WORD_RE.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    shown = tuple(text[m.start():end] for m, end in zip(found, ends))
    keys = fold("\x00".join(m.group() for m in found)).split("\x00") if found else []
    if len(keys) != len(shown):  # folding made or took a separator: word by word then
        keys = [fold(m.group()) for m in found]
    return tuple(keys), shown


def full_text(b: Block) -> str:
    """A passage as the reader sees it: an entry's date is part of its words."""
    return f"{b.date} {b.text}" if b.date else b.text


class Witness:
    """The word-level alignment of one section's old and new blocks."""

    def __init__(self, old: Sequence[Block], new: Sequence[Block], link_key=lambda h: h):
        # Passages the same at the start and at the end of both are words kept as they are:
        # only the stretch between them is read word by word (block indexes stay the
        # section's; `head` is how many passages were left out before it).
        head, tail = common_ends(old, new)
        self.head = head
        self.old_blocks, self.new_blocks = old[head:len(old) - tail], new[head:len(new) - tail]
        self.link_key = link_key
        self.old = _Stream.of(self.old_blocks, link_key)
        self.new = _Stream.of(self.new_blocks, link_key)
        self.to_new: dict[int, int] = {}  # kept old word -> the new word it is...
        self.anchored: dict[int, int] = {}  # ...or, for an anchor, old block -> new block
        self._align()
        self._forget_slight()
        self._attached = self._attach()

    # alignment --------------------------------------------------------------------------
    def _align(self) -> None:
        # Blocks found once on each side, in the same order, anchor the alignment (as in a
        # patience diff): words never wander from one news item to its look-alike. The words
        # between anchors are aligned one by one.
        ka, kb = self.old.block_keys(), self.new.block_keys()
        i0 = j0 = 0
        for i, j in [*_anchors(ka, kb), (len(ka), len(kb))]:
            self._align_words(self._start(self.old, i0), self._start(self.old, i),
                              self._start(self.new, j0), self._start(self.new, j))
            if i < len(ka):  # an anchor: all its words kept, block for block
                (oa, oz), (na, nz) = self.old.spans[i], self.new.spans[j]
                self.old.kept[oa:oz] = [True] * (oz - oa)
                self.new.kept[na:nz] = [True] * (nz - na)
                self.anchored[i] = j
            i0, j0 = i + 1, j + 1

    @staticmethod
    def _start(s: _Stream, k: int) -> int:
        return s.spans[k][0] if k < len(s.spans) else len(s.keys)

    def _keep(self, i: int, j: int) -> None:
        self.old.kept[i] = self.new.kept[j] = True
        self.to_new[i] = j

    def _align_words(self, a1: int, a2: int, b1: int, b2: int) -> None:
        if a1 == a2 or b1 == b2:  # nothing to align: words only added, or only dropped
            if a1 != a2 or b1 != b2:
                self._duplicates(*((self.old, list(range(a1, a2))) if a1 != a2 else
                                   (self.new, list(range(b1, b2)))))
            return
        # Block breaks are tokens of the alignment too: of two equally long matches, the one
        # that keeps passages whole wins ("A A A | A A A" against "B A A | A A A"). Where
        # that leaves words on both sides, the words alone may match more: merged passages
        # of repeated words.
        kept, ops = _matched(self.old, a1, a2, self.new, b1, b2, breaks=True)
        one_each = self.old.block[a1] == self.old.block[a2 - 1] and \
            self.new.block[b1] == self.new.block[b2 - 1]  # no breaks: the same alignment
        if not one_each and min(a2 - a1, b2 - b1) > len(kept):
            more, plain = _matched(self.old, a1, a2, self.new, b1, b2, breaks=False)
            if len(more) > len(kept):
                kept, ops = more, plain
        for i, j in kept:
            self._keep(i, j)
        for tag, words in ops:
            self._duplicates(self.old if tag == "delete" else self.new, words)

    def _forget_slight(self) -> None:
        """An old passage that kept less than half its words was rewritten, not re-cut: the
        few words it shares with the new text (a name, a phrase) are no longer its own."""
        for lo, hi in self.old.spans:
            kept = sum(self.old.kept[lo:hi])
            if 0 < kept < KEPT_SHARE * (hi - lo):
                for i in range(lo, hi):
                    if self.old.kept[i]:
                        self.old.kept[i] = self.new.kept[self.to_new.pop(i)] = False

    def _duplicates(self, s: _Stream, words: list[int]) -> None:
        """Numbers a layout merely repeats beside themselves (a stray year in a date cell, a
        footnote number): not words added or removed."""
        if not all(s.keys[w].isdigit() for w in words):
            return
        for w in words:
            lo, hi = s.spans[s.block[w]]
            near = range(max(lo, w - _DUPLICATE_REACH), min(hi, w + _DUPLICATE_REACH + 1))
            if not any(s.kept[x] and s.keys[x] == s.keys[w] for x in near if x != w):
                return
        for w in words:
            s.kept[w] = True

    def _attach(self) -> dict[int, list[int]]:
        """Per new block, the old words it holds now: the kept ones, and the dropped words of
        an old block whose other words it took (a wholly removed old block stays apart)."""
        out: dict[int, list[int]] = {j: list(range(*self.old.spans[i]))
                                     for i, j in self.anchored.items()}
        for i, j in self.to_new.items():
            out.setdefault(self.new.block[j], []).append(i)
        for k, (lo, hi) in enumerate(self.old.spans):
            if not self.old.touched(k) or self.old.intact(k):
                continue
            for i in range(lo, hi):
                if self.old.kept[i]:
                    continue
                near = next((x for x in range(i - 1, lo - 1, -1) if self.old.kept[x]), None)
                if near is None:
                    near = next(x for x in range(i + 1, hi) if self.old.kept[x])
                out.setdefault(self.new.block[self.to_new[near]], []).append(i)
        for words in out.values():
            words.sort()
        return out

    # questions: blocks by their index in the section, from 0; a block left out at either
    # end (the same on both sides) is all words kept ----------------------------------------
    def _old(self, k: int) -> int | None:
        k -= self.head
        return k if 0 <= k < len(self.old_blocks) else None

    def _new(self, k: int) -> int | None:
        k -= self.head
        return k if 0 <= k < len(self.new_blocks) else None

    def links_kept(self, b: Block) -> bool:
        """Each of the block's links is on the page's other side as often as before."""
        return all(self.old.links[key] == self.new.links[key]
                   for key in map(self.link_key, b.links))

    def link_kept(self, href: str) -> bool:
        key = self.link_key(href)
        return self.old.links[key] == self.new.links[key]

    def old_intact(self, k: int, *, links: bool = True) -> bool:
        """Every word of old block `k` (and each of its links) is still in the section."""
        if (k := self._old(k)) is None:
            return True
        return self.old.intact(k) and (not links or self.links_kept(self.old_blocks[k]))

    def old_wholly_gone(self, k: int) -> bool:
        return (k := self._old(k)) is not None and not self.old.touched(k)

    def new_intact(self, k: int) -> bool:
        """Every word of new block `k` was in the section, and it took no dropped word."""
        if (k := self._new(k)) is None:
            return True
        return (self.new.intact(k) and self.links_kept(self.new_blocks[k])
                and all(self.old.kept[i] for i in self._attached.get(k, ())))

    def new_wholly_new(self, k: int) -> bool:
        return (k := self._new(k)) is not None and k not in self._attached

    def holds_exactly(self, new_k: int, old_k: int) -> bool:
        """New block `new_k` holds the words of old block `old_k` and no other old words."""
        n, o = self._new(new_k), self._old(old_k)
        if n is None or o is None:
            return n is None and o is None and new_k - len(self.new_blocks) == old_k - len(
                self.old_blocks)
        lo, hi = self.old.spans[o]
        return self._attached.get(n, []) == list(range(lo, hi))

    def before(self, new_k: int) -> str:
        """The old text of the words new block `new_k` holds now, in their old order."""
        words = self._attached.get(self._new(new_k), [])
        out, last_block = [], None
        for i in words:
            if last_block is not None and self.old.block[i] != last_block \
                    and not out[-1][-1:].isspace():
                out[-1] += " "
            out.append(self.old.shown[i])
            last_block = self.old.block[i]
        return "".join(out).strip()

    def covers(self, old_k: int, rebuilt: set[int]) -> bool:
        """Every dropped word of old block `old_k` is held by one of the `rebuilt` new blocks."""
        if (o := self._old(old_k)) is None:
            return True
        lo, hi = self.old.spans[o]
        dropped = {i for i in range(lo, hi) if not self.old.kept[i]}
        held = {i for k in rebuilt for i in self._attached.get(self._new(k), ()) if i in dropped}
        return dropped == held
