"""Two `Document`s to a list of `Change` records. Pure.

Identity is by content, never by DOM path: sections pair by heading text, dated entries by
their date, other passages by alignment (difflib over folded text, then Levenshtein ratio
inside unequal stretches). What is left over is added, removed or, when the same text turns
up elsewhere, moved. Each modified pair is classified by SPEC's change policy.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..matching import Terms
from ..models import QUIET_CATEGORIES, Change, Document
from ..reading import reader as reader_for
from ..text import fold
from .classify import _aged, classify, figure_changes
from .found import _Found, _modified, _moved, _once
from .moves import _moves
from .passages import _diff_blocks
from .records import record_name
from .sections import (_anchor_of, _by_words, _heading, _moved_sections, _pair_sections,
                       _whole_section)


__all__ = ["classify", "collapse", "collapsed", "content_removed", "diff", "figure_changes",
           "page_replaced", "record_name", "substantial", "text_size"]


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
