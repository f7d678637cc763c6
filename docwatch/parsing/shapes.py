"""Structure from what a reader is shown, not from tag names: a generic box (`div`, `span`)
that says what it is by an ARIA role, or by being a short line in bold or larger type, takes
the tag it stands for, so the rest of the parser reads an app's page as it reads a document.

- roles: `heading` (with `aria-level`), `paragraph`, `list`/`listitem`, `table`/`grid`,
  `rowgroup`, `row`, `cell`/`gridcell`, `columnheader`/`rowheader`, `term`/`definition`;
- inline style: a `span` in bold is bold text (`<b>`); a box of one short line in bold or
  larger type, with text after it, is a heading, its level by its size among the page's
  headings so drawn (the largest, once at the top, is the page's title).

Only generic boxes are renamed: a `<ul role="list">` or a `<button role="heading">` keeps its
tag. The elements stay the same objects, so a source's selectors found before still hold.
"""

from __future__ import annotations

import functools
import re

from lxml import etree

from ..text import clean, inner_text

_GENERIC = frozenset(("div", "span", "section", "p"))
_BY_ROLE = {
    "paragraph": "p", "list": "ul", "listitem": "li", "table": "table", "grid": "table",
    "treegrid": "table", "rowgroup": "tbody", "row": "tr", "cell": "td", "gridcell": "td",
    "columnheader": "th", "rowheader": "th", "term": "dt", "definition": "dd",
}
# Attribute nodes, then their elements: libxml2 finds them five times faster than a walk
# over every element asking for them. One search serves the renaming here and the noise
# rules after it (`root`), which ask of the same attributes.
_MARKS = etree.XPath(".//@role | .//@style | .//@aria-modal | .//@hidden | .//@aria-hidden")


def marked(body) -> list:
    """The elements of `body` with a role, a style or a mark of being hidden, in page order."""
    return list(dict.fromkeys(mark.getparent() for mark in _MARKS(body)))
_BOLD_RE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)\b", re.IGNORECASE)
_SIZE_RE = re.compile(
    r"font-size\s*:\s*(?:([\d.]+)\s*(px|pt|r?em|%)|(xxx-large|xx-large|x-large|large|larger))",
    re.IGNORECASE)
_PX = {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0, "%": 0.16}
_KEYWORD_PX = {"large": 18.0, "larger": 19.2, "x-large": 24.0, "xx-large": 32.0,
               "xxx-large": 48.0}
NORMAL_PX = 16.0
LARGER_PX = 17.5  # larger type than the body's: a heading drawn by its size
MAX_HEADING = 160  # characters: a longer line is a paragraph, however it is drawn
#: Tags a reader sees as boxes of their own (the rest run inline in their box).
BLOCK_TAGS = frozenset(
    "address article aside blockquote center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
# A heading's own last character is never sentence punctuation: "Contacts", not "Call us."
_SENTENCE_END = (".", ";", ",", "!", "?")


def lift(body, candidates: list) -> None:
    """Rename the generic boxes of `body` that say what they are (see the module's words);
    `candidates` are its `marked` elements."""
    drawn: list[tuple[object, float]] = []  # boxes drawn as headings, with their size
    # Beside real headings a drawn one is only bold text (`_rank`): its size is not asked.
    headed = next(body.iter("h1", "h2", "h3", "h4", "h5", "h6"), None) is not None
    for el in candidates:
        if el.tag not in _GENERIC:
            continue
        role = (el.get("role") or "").strip().lower()
        if role == "heading":
            el.tag = f"h{_level(el.get('aria-level'))}"
            headed = True
        elif role in _BY_ROLE:
            tag = _BY_ROLE[role]
            el.tag = tag
            if tag == "dt" and (parent := el.getparent()) is not None \
                    and parent.tag in _GENERIC:
                parent.tag = "dl"  # terms and definitions are read as one list
        elif "style" in el.attrib and "font" in (style := el.get("style")):
            size, bold = _font(style)
            if el.tag == "span" and bold and size <= LARGER_PX and not el.get("role"):
                el.tag = "b"
            elif (bold or size > LARGER_PX and not headed) and _heading_like(el):
                drawn.append((el, size))
    if drawn:
        _rank(drawn, headed)


def _level(value: str | None) -> int:
    try:
        return min(6, max(1, int(value or 2)))
    except ValueError:
        return 2


@functools.lru_cache(maxsize=1024)  # a page repeats its inline styles
def _font(style: str) -> tuple[float, bool]:
    """The size (CSS pixels) and boldness an inline style gives its text."""
    return _size(style), bool(_BOLD_RE.search(style))


def _size(style: str) -> float:
    """The font size an inline style sets, in CSS pixels (the body's 16 when it sets none)."""
    m = _SIZE_RE.search(style)
    if not m:
        return NORMAL_PX
    if m.group(3):
        return _KEYWORD_PX[m.group(3).lower()]
    try:
        return float(m.group(1)) * _PX[m.group(2).lower()]
    except ValueError:
        return NORMAL_PX


def _heading_like(el) -> bool:
    """One short line, not a sentence, with no boxes inside and something after it."""
    if any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el.iterdescendants()):
        return False
    text = clean(inner_text(el))
    if not text or len(text) > MAX_HEADING or text.endswith(_SENTENCE_END):
        return False
    return any(a.getnext() is not None for a in (el, *el.iterancestors()))


def _rank(drawn: list[tuple[object, float]], headed: bool) -> None:
    """Levels by size, largest first; the largest, drawn once and first, is level 1. Beside
    real headings (`h1`–`h6`) a drawn one is only text: bold text, if bold, as a bold
    paragraph is."""
    if headed:
        for el, _ in drawn:
            if _BOLD_RE.search(el.get("style")):
                _embolden(el)
        return
    sizes = sorted({size for _, size in drawn}, reverse=True)
    largest = [el for el, size in drawn if size == sizes[0]]
    first = 1 if len(largest) == 1 and drawn[0][0] is largest[0] else 2
    for el, size in drawn:
        el.tag = f"h{min(6, first + sizes.index(size))}"


def _embolden(el) -> None:
    """Wrap a box's words in `<b>`: bold text, which a short paragraph may make a heading."""
    b = etree.Element("b")
    b.text, el.text = el.text, None
    for child in list(el):
        b.append(child)
    el.append(b)
