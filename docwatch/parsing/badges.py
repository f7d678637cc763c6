"""Badges: a "NEW", "Naujiena!", "Neu" set beside an item in an element of its own while the
item is recent. It comes and goes with the calendar, not with the item, and is dropped with
the page's furniture. The same word in running text ("<b>New</b> rules apply") is the
page's: a badge is in capitals, ends in "!", carries a class, or is a <sup> or <mark>."""

from __future__ import annotations

from ..locales import all_volatile_words

BADGE_WORDS = frozenset(w.rstrip("!") for w in all_volatile_words("new"))
_TAGS = ("span", "em", "strong", "b", "i", "sup", "mark", "small", "ins")
_MAX_BADGE = 16


def drop_badges(body, drop) -> None:
    """Drop (with `drop`, which keeps tails) every badge in `body`."""
    for el in [el for el in body.iter(*_TAGS) if _badge(el)]:
        drop(el)


def _badge(el) -> bool:
    text = el.text
    if len(el) or not text or len(text) > _MAX_BADGE:
        return False
    word = text.strip()
    if word.rstrip("!").casefold() not in BADGE_WORDS:
        return False
    marked = (word.isupper() or word.endswith("!") or el.get("class") is not None
              or el.tag in ("sup", "mark"))
    # beside an item's words, not the item itself
    return marked and "".join(el.getparent().itertext()).strip() != word
