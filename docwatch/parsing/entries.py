"""Entries by repetition: sibling elements of one shape that each carry a date are a listing.

News lists, card grids, `<article>` teasers and `<li>` timelines put one item's title, lead
and date in one element, repeated: `<li class="news"><a>Title</a><p>Lead</p><span
class="date">12.03.2024</span></li>`. Each such item is one dated entry, whether its date
stands first, last or in its own element (`<time>`, a `.date` span), so a new item is one
`new_entry` and not three passages. Pure: elements in, dates and texts out.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from ..reading import DIGIT_RE, Reader
from ..text import clean, inner_text

#: Elements that hold one item of a listing; paragraphs are read by their leading date.
ITEM_TAGS = frozenset("li article div section dd".split())
MAX_ITEM_TEXT = 1500  # longer than a teaser: a section of the page, not an item
MAX_DATE_TEXT = 60
_INSIDE_DATE_TAGS = ("time", "span", "p", "div", "small", "em", "strong", "b", "i", "td", "dd")


def repeated_entries(container, reader: Reader) -> dict:
    """{child: (date as written, the item's text without it)} for the children of `container`
    that repeat one shape (tag and class) and carry a date, at least two of them and two in
    three of their shape."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for child in container:
        if isinstance(child.tag, str) and child.tag in ITEM_TAGS:
            groups[(child.tag, _shape(child.get("class")))].append(child)
    out: dict = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        allowed_misses = len(members) // 3
        found, misses = {}, 0
        for item in members:
            if dated := item_date(item, reader):
                found[item] = dated
            else:
                misses += 1
                if misses > allowed_misses or misses >= 2 and not found:
                    break
        if misses <= allowed_misses and len(found) >= 2:
            out.update(found)
    return out


@functools.lru_cache(maxsize=4096)  # an app repeats its generated class names on every box
def _shape(classes: str | None) -> str:
    return " ".join(sorted((classes or "").split()))


def item_date(item, reader: Reader) -> tuple[str, str] | None:
    """(date, rest of the text) when the item's date stands in its own element, first or last.
    An item that is only a date is none: it labels what follows it, as a date heading does."""
    dated = _item_date(item, reader)
    return dated if dated and dated[1] else None


def _item_date(item, reader: Reader) -> tuple[str, str] | None:
    raw = inner_text(item)
    if _surely_longer(raw, MAX_ITEM_TEXT):
        return None  # a box of the page, not an item: its words are not read one by one
    text = clean(raw)
    if not text or len(text) > MAX_ITEM_TEXT or not DIGIT_RE.search(text) \
            or item.find(".//h1") is not None:
        return None
    for el in item.iter(*_INSIDE_DATE_TAGS):
        if el is item:
            continue
        raw = inner_text(el)
        # An empty <time> may have no datetime either (its text was a relative time, cut).
        if el.tag == "time" and not raw.strip():
            raw = el.get("datetime") or ""
        if not DIGIT_RE.search(raw):  # most elements of an item: no date to read
            continue
        own = clean(raw)
        if len(own) <= MAX_DATE_TEXT and _full_date(reader, own) and own in text:
            return own, _without(text, own)
    if (lead := reader.leading_date(text)) and lead[1]:
        return lead
    last = None
    for last in reader.dates(text):
        pass
    if last is not None and not text[last.end():].strip(" .;,)]–—-|") and _full_date(reader, last.group()):
        date = last.group().strip()
        return date, _without(text, date)
    return None


def _surely_longer(raw: str, limit: int) -> bool:
    """Whether `clean(raw)` is longer than `limit`, told without splitting it into words:
    `clean` keeps every character but spacing, and a text with twice `limit` characters besides
    spaces, tabs and newlines stays longer whatever other spacing or composition it loses."""
    head = raw[:4 * limit]  # enough to tell, whatever the length of the box
    return len(head) > 2 * limit and (len(head) - head.count(" ") - head.count("\n")
                                      - head.count("\t") - head.count("\r")) > 2 * limit


def _full_date(reader: Reader, text: str) -> bool:
    """A whole date with its year ("12.03.2024", "2023 m. liepos 11 d."), nothing around it."""
    m = reader.date_re.fullmatch(text.strip(" .,"))
    iso = m and reader.iso(m.group())
    return bool(iso and len(iso) >= 10)


def _without(text: str, date: str) -> str:
    # The date heads the item or ends it; the same words inside its text are its text.
    at = 0 if text.startswith(date) else text.rfind(date)
    return clean((text[:at] + " " + text[at + len(date):]).strip(" |–—-:,"))
