"""Counters a page draws rather than says: an eye icon beside "1 234", "💬 3", a bare number in
an element named for what it counts (`<span class="post-views">1234</span>`). How often an
item was read, liked or commented on changes on every visit and is never the page's words;
these are dropped with the page's furniture. Counters said in words ("Number of views
(4099)") are volatile lines (`volatile`)."""

from __future__ import annotations

import re

from lxml import etree

from ..text import inner_text

# Pictograms of reading, commenting and liking: 👁 👀 💬 🗨 👍 📥 (and U+FE0F, which asks for the
# emoji form). A telephone or a calendar beside a number says what the number is. All are
# outside Unicode's first plane, so a page without a 4-byte UTF-8 character has none.
_COUNT_SYMBOLS = frozenset("\U0001F441\U0001F440\U0001F4AC\U0001F5E8\U0001F44D\U0001F4E5\uFE0F")
# The text of counting pictograms, found by libxml2 (only on a page that has one: `pictured`).
_PICTURED = etree.XPath(".//text()[" + " or ".join(
    f"contains(., '{s}')" for s in sorted(_COUNT_SYMBOLS) if s != "\uFE0F") + "]/..")
_ENCODED = tuple(s.encode() for s in _COUNT_SYMBOLS if s != "\uFE0F")
# An icon's name (class, id, an SVG's symbol, an image's file) that shows what is counted.
_COUNT_ICON_RE = re.compile(r"eye|view|visib|comment|chat|bubble|heart|like|thumb|star|"
                            r"download|read", re.IGNORECASE)
# A class or id token that ends in what it counts: "post-views", "hits", "view-count",
# "views-field-counter" (not "views-field", Drupal's name for any field).
_COUNT_NAME_RE = re.compile(
    r"(?:^|[\s_-])(?:views?|viewed|hits|reads|visits|visitors|likes|comments|pageviews|"
    r"viewcount|hitcount|counter)(?:[_-]?(?:count|counter|number|num))?(?=$|\s)",
    re.IGNORECASE)
# A count: digits, grouped by a space, a dot or a comma, perhaps in brackets.
_COUNT_RE = re.compile(r"\(?\d{1,3}(?:[\s.,]?\d{3})*\)?")
_ICON_TAGS = frozenset({"i", "span", "svg", "img"})
_MAX_TEXT = 24


def pictured(body: bytes | str) -> bool:
    """Whether a page may show a counting pictogram (its UTF-8 bytes or its characters are
    there): a search C-fast on the page's source, where one of its tree is not."""
    if isinstance(body, str):  # a search for a wider character than the text has is no search
        return any(s in body for s in _COUNT_SYMBOLS)
    return b"\xf0" in body and any(s in body for s in _ENCODED)


def drop_drawn(body, drop, *, pictograms: bool = True) -> None:
    """Drop (with `drop`, which keeps tails) every count beside a counting icon and, when the
    page is `pictured`, beside a counting pictogram. Before <svg> is dropped as noise."""
    counters = {}
    icons = (el for el in body.iter(*_ICON_TAGS) if _icon(el) and _count_icon(el))
    for el in [*map(_holder, icons), *(_PICTURED(body) if pictograms else ())]:
        if el is not None and el.tag not in ("td", "th", "body") and counter(el):
            counters[el] = None  # in page order, once
    for el in counters:
        if el.getparent() is not None and not any(a in counters for a in el.iterancestors()):
            drop(el)


def named(cls: str | None, ident: str | None) -> bool:
    """Whether a class or id names a count ("post-views", "hits", "view-count")."""
    return bool(_COUNT_NAME_RE.search(f"{cls or ''} {ident or ''}"))


def _icon(el) -> bool:
    """An <svg>, an <img>, or an empty <i> or <span> (an icon font's glyph)."""
    return el.tag in ("svg", "img") or (el.text is None or not el.text.strip()) and not len(el)


def _holder(icon):
    """The element holding an icon and its text: the icon's parent, or the nearest ancestor
    with text when the icon sits in a wrapper of its own."""
    for el in icon.iterancestors():
        if inner_text(el).strip():
            return el
        if len(el) > 2:
            return None
    return None


def counter(el) -> bool:
    """Is `el` a count beside a counting pictogram, or a bare count named for what it counts
    (or holding a counting icon)?"""
    text = inner_text(el).strip()
    if not text or len(text) >= _MAX_TEXT or len(el) > 2:
        return False
    symbols = {c for c in text if c in _COUNT_SYMBOLS}
    if symbols:
        text = "".join(c for c in text if c not in _COUNT_SYMBOLS).strip()
    if not _COUNT_RE.fullmatch(text):
        return False
    return bool(symbols) or named(el.get("class"), el.get("id")) or any(
        _icon(icon) and _count_icon(icon) for icon in el.iterdescendants(*_ICON_TAGS))


def _count_icon(icon) -> bool:
    """An icon whose name is a counting pictogram's."""
    names = f"{icon.get('class') or ''} {icon.get('id') or ''} {icon.get('src') or ''}"
    if icon.tag == "svg":
        names += " ".join(use.get("href") or use.get(_XLINK_HREF) or "" for use in icon.iter("use"))
    return bool(_COUNT_ICON_RE.search(names))


_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
