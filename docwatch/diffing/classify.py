"""Classifying a passage edited, by SPEC's change policy: a minor edit (spacing, case,
spelling, a teaser cut elsewhere, a figure restated), a revised figure, a renumbering, or a
text edit; and the figures that changed."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from Levenshtein import ratio

from ..volatile_words import DATE_LABELS
from ..reading import Figure, Reader, reader as reader_for
from ..text import common_ends, fold, is_word, tokens


MINOR_WORD_RATIO = 0.8  # SPEC: a spelling fix pairs words of Levenshtein ratio >= 0.8
MIN_TEASER = 40  # characters kept before an ellipsis that make a passage a teaser
_NOT_ALNUM_RE = re.compile(r"[\W_]+")


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
