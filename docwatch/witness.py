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
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .models import Block
from .text import common_ends, fold

#: Past this many words on either side of an unequal stretch, difflib's popular-word
#: heuristic is let in: a whole page rewritten stays fast, at worst a few alerts more.
_EXACT_LIMIT = 4000
KEPT_SHARE = 0.5  # of either passage's words, shared when one was re-cut or edited into the other...
KEPT_RUN = 8  # ...or as many words in a row
_STRAY_RUN = 2  # words: an equal run this short beside a rewrite is a coincidence
_DUPLICATE_REACH = 4  # a layout repeating a number ("2023 · 11 July 2023") within this many words


@dataclass
class _Stream:
    """Blocks' words in order: each word's key, its display text and its block."""

    keys: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    block: list[int] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # per block: [start, end)
    kept: list[bool] = field(default_factory=list)

    @classmethod
    def of(cls, blocks: Sequence[Block]) -> _Stream:
        s = cls()
        for k, b in enumerate(blocks):
            start = len(s.keys)
            keys, shown = _words(b.full_text)
            s.keys.extend(keys)
            s.shown.extend(shown)
            s.block.extend([k] * len(keys))
            s.spans.append((start, len(s.keys)))
        s.kept = [False] * len(s.keys)
        return s

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


def _longest_run(words: list[int]) -> int:
    """The longest run of consecutive word numbers in a sorted list."""
    best = run = 0
    for k, w in enumerate(words):
        run = run + 1 if k and w == words[k - 1] + 1 else 1
        best = max(best, run)
    return best


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


def _anchors(a: Sequence, b: Sequence) -> list[tuple[int, int]]:
    """Pairs (i, j) of items found exactly once in `a` and once in `b`, the longest run of
    them that keeps its order."""
    ha, hb = list(map(hash, a)), list(map(hash, b))  # a block hashes its fields each time
    count_a, count_b = Counter(ha), Counter(hb)
    once_b = {x: j for j, x in enumerate(hb) if count_b[x] == 1}
    both = [(i, once_b[x]) for i, x in enumerate(ha) if count_a[x] == 1 and x in once_b]
    keep = set(longest_increasing([j for _, j in both]))
    return [(i, j) for i, j in both if j in keep and a[i] == b[j]]


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


# A page's passages come back check after check. Bounded: each entry holds a passage twice
# over, and `docwatch run` lives for months (32,768 entries grew a run 0.2 MB a minute).
@functools.lru_cache(maxsize=2048)
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


class Witness:
    """The word-level alignment of one section's old and new blocks.

    Blocks found unchanged once on each side, in the same order (and those alike at both ends),
    anchor it, as in a patience diff: their words are kept as they are, and words never wander
    from one news item to its look-alike. Only the stretches between anchors (`_Gap`) are read
    word by word, so a long register with one row changed costs a few rows' words. Blocks are
    named by their index in the section, from 0.
    """

    def __init__(self, old: Sequence[Block], new: Sequence[Block], link_key=lambda h: h):
        self.old_blocks, self.new_blocks = old, new
        self.link_key = link_key
        self.old_links = Counter(link_key(h) for b in old for h in b.links)
        self.new_links = Counter(link_key(h) for b in new for h in b.links)
        head, tail = common_ends(old, new)
        middle = _anchors(old[head:len(old) - tail], new[head:len(new) - tail])
        anchors = ([(k, k) for k in range(head)]
                   + [(i + head, j + head) for i, j in middle]
                   + [(len(old) - tail + t, len(new) - tail + t) for t in range(tail)])
        self.twin = dict(anchors)  # old block -> the same new block
        self.twin_new = {j: i for i, j in anchors}
        self.old_gap: dict[int, tuple[_Gap, int]] = {}  # block -> (its gap, its index there)
        self.new_gap: dict[int, tuple[_Gap, int]] = {}
        i0 = j0 = 0
        for i, j in [*anchors, (len(old), len(new))]:
            if i > i0 or j > j0:
                gap = _Gap(old[i0:i], new[j0:j])
                self.old_gap.update((i0 + k, (gap, k)) for k in range(i - i0))
                self.new_gap.update((j0 + k, (gap, k)) for k in range(j - j0))
            i0, j0 = i + 1, j + 1

    def links_kept(self, b: Block) -> bool:
        """Each of the block's links is on the page's other side as often as before."""
        return all(map(self.link_kept, b.links))

    def link_kept(self, href: str) -> bool:
        key = self.link_key(href)
        return self.old_links[key] == self.new_links[key]

    def old_intact(self, k: int, *, links: bool = True) -> bool:
        """Every word of old block `k` (and each of its links) is still in the section."""
        if k in self.twin:
            return True
        gap, at = self.old_gap[k]
        return gap.old.intact(at) and (not links or self.links_kept(self.old_blocks[k]))

    def old_wholly_gone(self, k: int) -> bool:
        if k in self.twin:
            return False
        gap, at = self.old_gap[k]
        return not gap.old.touched(at)

    def new_intact(self, k: int) -> bool:
        """Every word of new block `k` was in the section, and it took no dropped word."""
        if k in self.twin_new:
            return True
        gap, at = self.new_gap[k]
        return (gap.new.intact(at) and self.links_kept(self.new_blocks[k])
                and all(gap.old.kept[i] for i in gap.attached.get(at, ())))

    def new_wholly_new(self, k: int) -> bool:
        if k in self.twin_new:
            return False
        gap, at = self.new_gap[k]
        return at not in gap.attached

    def holds_exactly(self, new_k: int, old_k: int) -> bool:
        """New block `new_k` holds the words of old block `old_k` and no other old words."""
        if old_k in self.twin or new_k in self.twin_new:
            return self.twin.get(old_k) == new_k
        (gap, n), (other, o) = self.new_gap[new_k], self.old_gap[old_k]
        return gap is other and gap.attached.get(n, []) == list(range(*gap.old.spans[o]))

    def before(self, new_k: int) -> str:
        """The old text of the words new block `new_k` holds now, in their old order."""
        if new_k in self.twin_new:
            return self.old_blocks[self.twin_new[new_k]].full_text
        gap, at = self.new_gap[new_k]
        return gap.before(at)

    def covers(self, old_k: int, rebuilt: set[int]) -> bool:
        """Every dropped word of old block `old_k` is held by one of the `rebuilt` new blocks."""
        if old_k in self.twin:
            return True
        gap, at = self.old_gap[old_k]
        lo, hi = gap.old.spans[at]
        dropped = {i for i in range(lo, hi) if not gap.old.kept[i]}
        held = {i for k in rebuilt if (g := self.new_gap.get(k)) and g[0] is gap
                for i in gap.attached.get(g[1], ()) if i in dropped}
        return dropped == held


class _Gap:
    """A stretch of old blocks and new blocks between two anchors, aligned word by word."""

    def __init__(self, old: Sequence[Block], new: Sequence[Block]):
        self.old, self.new = _Stream.of(old), _Stream.of(new)
        self.to_new: dict[int, int] = {}  # kept old word -> the new word it is
        self._align_words(0, len(self.old.keys), 0, len(self.new.keys))
        self._forget_slight()
        self.attached = self._attach()

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
        """Words an old passage shares with a new one that holds few of either's words, none
        of them in a long run, are a coincidence of a rewrite ("the impacts of climate
        change" in a paragraph and in a new list item), not text kept: forgotten."""
        shared: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, j in self.to_new.items():
            shared[(self.old.block[i], self.new.block[j])].append(i)
        for (old, new), words in shared.items():
            (olo, ohi), (nlo, nhi) = self.old.spans[old], self.new.spans[new]
            if len(words) < KEPT_SHARE * (ohi - olo) and len(words) < KEPT_SHARE * (nhi - nlo) \
                    and _longest_run(sorted(words)) < KEPT_RUN:
                for i in words:
                    self.old.kept[i] = self.new.kept[self.to_new.pop(i)] = False

    @staticmethod
    def _duplicates(s: _Stream, words: list[int]) -> None:
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

    def before(self, at: int) -> str:
        out, last_block = [], None
        for i in self.attached.get(at, []):
            if last_block is not None and self.old.block[i] != last_block \
                    and not out[-1][-1:].isspace():
                out[-1] += " "
            out.append(self.old.shown[i])
            last_block = self.old.block[i]
        return "".join(out).strip()
