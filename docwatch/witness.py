"""The words are the witness: which of a section's words really changed. Pure.

Passages are aligned block by block, so the same words cut into blocks differently (two
paragraphs merged, a table turned into cards, a date moved into its own element, a PDF's
lines re-joined) look like passages removed and added. The witness compares the section's
words as one stream, in order, after the minor-edit folding: a word it keeps is not a change,
whatever block it now stands in. `diffing` asks it of every block-level change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .models import Block
from .text import fold, is_word, tokens

#: Past this many words on either side of an unequal stretch, difflib's popular-word
#: heuristic is let in: a whole page rewritten stays fast, at worst a few alerts more.
_EXACT_LIMIT = 4000
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
            shown: list[str] = []
            for tok in tokens(full_text(b)):
                if is_word(tok):
                    s.keys.append(fold(tok))
                    shown.append(tok)
                elif shown:
                    shown[-1] += tok  # punctuation and spacing travel with the word before
            s.shown.extend(shown)
            s.block.extend([k] * len(shown))
            s.spans.append((start, len(s.keys)))
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


def full_text(b: Block) -> str:
    """A passage as the reader sees it: an entry's date is part of its words."""
    return f"{b.date} {b.text}" if b.date else b.text


class Witness:
    """The word-level alignment of one section's old and new blocks."""

    def __init__(self, old: Sequence[Block], new: Sequence[Block], link_key=lambda h: h):
        self.old_blocks, self.new_blocks = old, new
        self.link_key = link_key
        self.old, self.new = _Stream.of(old, link_key), _Stream.of(new, link_key)
        self.to_new: dict[int, int] = {}  # kept old word -> the new word it is
        self._align()
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
            if i < len(ka):
                oa, ob = self.old.spans[i][0], self.new.spans[j][0]
                for t in range(len(ka[i])):
                    self._keep(oa + t, ob + t)
            i0, j0 = i + 1, j + 1

    @staticmethod
    def _start(s: _Stream, k: int) -> int:
        return s.spans[k][0] if k < len(s.spans) else len(s.keys)

    def _keep(self, i: int, j: int) -> None:
        self.old.kept[i] = self.new.kept[j] = True
        self.to_new[i] = j

    def _align_words(self, a1: int, a2: int, b1: int, b2: int) -> None:
        a, b = self.old.keys[a1:a2], self.new.keys[b1:b2]
        big = max(len(a), len(b)) > _EXACT_LIMIT
        ops = SequenceMatcher(None, a, b, autojunk=big).get_opcodes()
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                for t in range(i2 - i1):
                    self._keep(a1 + i1 + t, b1 + j1 + t)
        for tag, i1, i2, j1, j2 in ops:
            if tag == "insert":
                self._duplicates(self.new, range(b1 + j1, b1 + j2))
            elif tag == "delete":
                self._duplicates(self.old, range(a1 + i1, a1 + i2))

    def _duplicates(self, s: _Stream, words: range) -> None:
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
        out: dict[int, list[int]] = {}
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

    # questions --------------------------------------------------------------------------
    def links_kept(self, b: Block) -> bool:
        """Each of the block's links is on the page's other side as often as before."""
        return all(self.old.links[key] == self.new.links[key]
                   for key in map(self.link_key, b.links))

    def link_kept(self, href: str) -> bool:
        key = self.link_key(href)
        return self.old.links[key] == self.new.links[key]

    def old_intact(self, k: int) -> bool:
        """Every word of old block `k` is still in the section, in order."""
        return self.old.intact(k) and self.links_kept(self.old_blocks[k])

    def old_wholly_gone(self, k: int) -> bool:
        return not self.old.touched(k)

    def new_intact(self, k: int) -> bool:
        """Every word of new block `k` was in the section, and it took no dropped word."""
        return (self.new.intact(k) and self.links_kept(self.new_blocks[k])
                and all(self.old.kept[i] for i in self._attached.get(k, ())))

    def new_wholly_new(self, k: int) -> bool:
        return k not in self._attached

    def holds_exactly(self, new_k: int, old_k: int) -> bool:
        """New block `new_k` holds the words of old block `old_k` and no other old words."""
        lo, hi = self.old.spans[old_k]
        return self._attached.get(new_k, []) == list(range(lo, hi))

    def before(self, new_k: int) -> str:
        """The old text of the words new block `new_k` holds now, in their old order."""
        words = self._attached.get(new_k, [])
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
        lo, hi = self.old.spans[old_k]
        dropped = {i for i in range(lo, hi) if not self.old.kept[i]}
        held = {i for k in rebuilt for i in self._attached.get(k, ()) if i in dropped}
        return dropped == held
