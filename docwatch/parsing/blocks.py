"""Reading order: the main content walked into sections (by headings) of blocks — paragraphs,
list items, table rows, dated entries and stand-alone links."""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy

from ..models import Block, Section
from ..reading import Reader
from ..text import clean, inner_text
from .entries import repeated_entries
from .links import normalize_url
from .records import MIN_RECORDS, code_like, key_column, list_keys
from .root import drop
from .shapes import BLOCK_TAGS, MAX_HEADING
from .volatile import heading_part, volatile

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# A passage's last words in parentheses, after the words: "(downloaded 340 times)".
_LAST_PARENS_RE = re.compile(r"\s*\(([^()]{1,60})\)$")


def mark_breaks(content) -> set:
    """Make <br> and block boundaries whitespace, so joined text keeps its word breaks.

    Returns the elements that hold a block element somewhere inside them.
    """
    blocky: set = set()
    for el in content.iter():
        tag = el.tag
        if tag == "br" or tag in BLOCK_TAGS or tag in ("td", "th", "img"):
            el.tail = "\n" + (el.tail or "")
        if isinstance(tag, str) and tag in BLOCK_TAGS:
            # ...and before it: "<a>Title</a><p>Lead</p>" is two phrases, not "TitleLead".
            prev = el.getprevious()
            if prev is not None:
                if prev.tail is None or not prev.tail[-1:].isspace():
                    prev.tail = (prev.tail or "") + "\n"
            elif (parent := el.getparent()) is not None and parent.text and \
                    not parent.text[-1:].isspace():
                parent.text += "\n"
            for a in el.iterancestors():
                if a in blocky:
                    break
                blocky.add(a)
    return blocky


# --- reading order ------------------------------------------------------------------------


def _text(el) -> str:
    return clean(inner_text(el))


class Builder:
    """Collects headings and blocks in reading order into sections."""

    def __init__(self, url: str | None, ignore: list[re.Pattern], reader: Reader):
        self.url = url
        self.ignore = ignore
        self.reader = reader
        self.metadata: dict[str, str] = {}
        self.stack: list[tuple[int, str]] = []
        self.sections: list[tuple[tuple[str, ...], list[Block]]] = [((), [])]
        self.entry: list | None = None  # [date, [texts], [links], heading level] while open
        self.top_level = 0
        self.blocky: set = set()  # elements with a block element inside (see mark_breaks)

    # sections ---------------------------------------------------------------------------
    def heading(self, level: int, text: str, *, dated_entry: bool = True) -> None:
        """A heading; one that is only a date opens an entry (`dated_entry`), unless what
        follows it is no paragraph (see `close_entry`)."""
        self.close_entry()
        if dated_entry and level > 1 and (dated := self.reader.leading_date(text)) \
                and not dated[1]:
            self.entry = [dated[0], [], [], level]  # "<h3>3 March 2025</h3><p>…": an entry
            return
        text, when = heading_part(text, self.reader)
        if when:  # "(updated 4/2/2024)" names no section: it is the section's metadata
            self.metadata[f"updated › {text}"] = when
        if not text or (self.stack and self.stack[-1][1] == text):
            return  # the title repeated as a heading is one heading
        if not self.stack and not any(b for _, b in self.sections[1:]):
            self.top_level = self.top_level or level
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        self.sections.append((tuple(t for _, t in self.stack), []))

    def add(self, kind: str, text: str, links: tuple[str, ...] = (), date: str | None = None,
            key: str | None = None):
        for pattern in self.ignore:
            text = clean(pattern.sub("", text))
        if not text and not links:
            return
        if kind != "entry" and not key and self._volatile(text):
            return
        if text.endswith(")") and (last := _LAST_PARENS_RE.search(text)) and last.start() \
                and self._volatile(last.group(1)):
            text = text[:last.start()]  # "Annual report (downloaded 340 times)": its counter
        self.sections[-1][1].append(Block(kind, text, date, links, key))

    def _volatile(self, text: str) -> bool:
        return volatile(text, self.reader, self.metadata)

    # entries ----------------------------------------------------------------------------
    def paragraph(self, text: str, links: tuple[str, ...],
                  bold: Callable[[], bool] | None = None) -> None:
        """A paragraph's text; `bold` says whether all of it is bold, asked only of a short
        one that could be a pseudo-heading (most paragraphs are read without it)."""
        if not text:
            # A link with no visible text (an image, an empty anchor) is named by its file,
            # or not at all: an empty passage is nothing an analyst could read.
            if links and (name := _file_name(links)):
                self.add("link", name, links)
            return
        dated = self.reader.leading_date(text)
        if dated and not dated[1]:
            self.close_entry()
            self.entry = [dated[0], [], list(links), 0]
            return
        if dated and len(dated[1]) > 12:
            self.close_entry()
            self.add("entry", dated[1], links, dated[0])
            return
        if bold and len(text) <= MAX_HEADING and not text.endswith((".", ";", ",")) and bold():
            self.heading(7, text.rstrip(": "))
            return
        if self.entry is not None:
            if self._volatile(text):
                return  # a counter or "Updated" line after an entry is not part of it
            self.entry[1].append(text)
            self.entry[2].extend(links)
            return
        self.add(self._kind(text, links), text, links)

    def close_entry(self) -> None:
        if self.entry is None:
            return
        date, texts, links, level = self.entry
        self.entry = None
        if level and not texts and not links:
            # A dated heading over a list or a table, not over a paragraph: it heads them.
            self.heading(level, date, dated_entry=False)
            return
        self.add("entry", "\n".join(texts), tuple(links), date)

    def block(self, kind: str, text: str, links: tuple[str, ...], date: str | None = None, *,
              key: str | None = None):
        self.close_entry()
        if not (date or key or kind != "item"):
            kind = self._kind(text, links, kind)
        self.add(kind, text, links, date, key=key)

    @staticmethod
    def _kind(text: str, links: tuple[str, ...], default: str = "paragraph") -> str:
        return "link" if links and len(links) == 1 and len(text) <= 80 else default

    # walking ----------------------------------------------------------------------------
    def links(self, el) -> tuple[str, ...]:
        found = el.iter("a") if el.tag != "a" else [el]
        out = []
        for a in found:
            href = (a.get("href") or "").strip()
            if href and not href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
                out.append(normalize_url(href, self.url))
        return tuple(out)

    def walk(self, el) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return
        if tag in HEADINGS:
            text = _text(el)
            if len(text) <= MAX_HEADING:
                self.heading(HEADINGS[tag], text)
            else:
                self.paragraph(text, self.links(el))
        elif tag in ("ul", "ol"):
            self.close_entry()
            if _contents(el):
                return  # the page's own table of contents: its headings, said twice
            listing = repeated_entries(el, self.reader)
            keyed = {} if listing else _keyed_items(el)
            for li in el:
                if li in listing:
                    self._listed(li, listing[li])
                elif li in keyed:
                    self.block("item", _text(li), self.links(li), key=keyed[li])
                elif li.tag == "li":
                    self._item(li)
                else:
                    self.walk(li)
        elif tag == "table":
            self._table(el)
        elif tag == "dl":
            self._dl(el)
        elif el not in self.blocky:
            text = _text(el) or _label(el)
            self.paragraph(text, self.links(el), lambda: _is_bold(el, text))
        else:
            self._mixed(el)

    def _mixed(self, el) -> None:
        """A container with both inline runs and block children: runs become paragraphs."""
        run: list = []  # strings and inline elements, in order

        def flush() -> None:
            if not run:
                return
            text = clean("".join(p if isinstance(p, str) else inner_text(p) for p in run))
            links = tuple(h for p in run if not isinstance(p, str) for h in self.links(p))
            if not text and links:
                text = next(filter(None, (_label(p) for p in run if not isinstance(p, str))), "")
            if text or links:
                self.paragraph(text, links, lambda: all(
                    isinstance(p, str) and not p.strip() or not isinstance(p, str) and _is_bold(p)
                    for p in run))
            run.clear()

        if el.text and el.text.strip():
            run.append(el.text)
        listing = repeated_entries(el, self.reader)
        for child in el:
            if child in listing:
                flush()
                self._listed(child, listing[child])
            elif isinstance(child.tag, str) and (child.tag in BLOCK_TAGS or child in self.blocky):
                flush()
                self.walk(child)
            else:
                run.append(child)
            # Whitespace opening a run is nothing (`clean` would strip it): between block
            # children it made a run of its own to join, clean and find empty, ninety a page.
            if child.tail and (run or not child.tail.isspace()):
                run.append(child.tail)
        flush()

    def _listed(self, item, dated: tuple[str, str]) -> None:
        """One item of a listing (see `entries`): one entry, title, lead and date together."""
        self.close_entry()
        self.add("entry", dated[1], self.links(item), dated[0])

    def _item(self, li) -> None:
        nested = [c for c in li if c.tag in ("ul", "ol", "table", "dl")]
        if nested:
            own = _copy(li)
            for c in list(own):
                if c.tag in ("ul", "ol", "table", "dl"):
                    drop(c)
            self.block("item", _text(own), self.links(own))
            for c in nested:
                self.walk(c)
        else:
            self.block("item", _text(li), self.links(li))

    def _table(self, table) -> None:
        self.close_entry()
        rows = [tr for tr in table.iter("tr") if _owner_table(tr) is table]
        cells_of = [[c for c in tr if c.tag in ("td", "th")] for tr in rows]
        rich = any(c in self.blocky for cells in cells_of for c in cells)
        if rich and len(rows) < MIN_RECORDS:  # a page's columns: no cell read for a key
            return self._layout(cells_of)
        read = [(tr, [_cell_text(c, self.blocky) for c in cells])
                for tr, cells in zip(rows, cells_of)]
        read = [(tr, texts) for tr, texts in read if any(texts)]
        dated = [bool(texts and len(texts) > 1 and (first := self.reader.leading_date(texts[0]))
                      and not first[1]) for _, texts in read]
        header = read[0][1] if read and _is_header(read[0][0]) else None
        plain = [texts for (_, texts), d in zip(read, dated) if not d and texts is not header]
        key = key_column(plain, self.reader, rich=rich)
        if rich and key is None:
            return self._layout(cells_of)
        for (tr, texts), is_entry in zip(read, dated):
            if is_entry:
                date = self.reader.leading_date(texts[0])[0]
                self.block("entry", " | ".join(t for t in texts[1:] if t), self.links(tr), date)
            else:
                record = key is not None and texts is not header and key < len(texts)
                self.block("row", " | ".join(texts), self.links(tr),
                           key=texts[key] if record else None)

    def _layout(self, cells_of: list[list]) -> None:
        """A table of cells of paragraphs, lists or tables with no column naming the rows
        lays out a page: its cells are read as the page's parts."""
        for cells in cells_of:
            for c in cells:
                self.walk(c)

    def _dl(self, dl) -> None:
        self.close_entry()
        terms = [_text(dt) for dt in dl.iter("dt")]
        keyed = key_column([[t, ""] for t in terms], self.reader) == 0 and \
            all(map(code_like, terms))  # a register of codes: "XIII-1021", "SF-86"
        term: str | None = None
        for child in dl.iter("dt", "dd"):
            text = _text(child)
            if child.tag == "dt":
                term = text
                continue
            dated = self.reader.leading_date(term or "")
            if dated and not dated[1]:
                self.block("entry", text, self.links(child), dated[0])
            else:
                self.block("item", f"{term}: {text}" if term else text, self.links(child),
                           key=term if keyed else None)

    def finish(self) -> list[Section]:
        self.close_entry()
        return [
            Section(path, tuple(blocks))
            for i, (path, blocks) in enumerate(self.sections)
            if path or blocks or i
        ]


def _cell_text(cell, blocky: set) -> str:
    """A cell's words; a cell of paragraphs or list items keeps them apart ("_ga; _gid")."""
    if cell not in blocky:
        return _text(cell)
    out = ""
    for piece in _pieces(cell, blocky):
        out += (" " if not out or out[-1] in ".!?;:" else "; ") + piece
    return out.strip()


def _pieces(el, blocky: set) -> list[str]:
    """The texts of a box's blocks and of the runs of inline text between them, in order."""
    out, run = [], [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str):
            run.append(child.tail or "")
        elif child in blocky or child.tag in BLOCK_TAGS:
            out.append(clean("".join(run)))
            out += _pieces(child, blocky) if child in blocky else [_text(child)]
            run = [child.tail or ""]
        else:
            run.append(inner_text(child) + (child.tail or ""))
    out.append(clean("".join(run)))
    return [p for p in out if p]


def _contents(listing) -> bool:
    """A list of links to places in the page itself ("#section-2"), nothing else: a table
    of contents, which repeats the page's headings (a new section would alert twice)."""
    items = [li for li in listing if li.tag == "li"]
    if len(items) < 2:
        return False
    for li in items:
        anchors = list(li.iter("a"))
        if not anchors or not all((a.get("href") or "").startswith("#") for a in anchors):
            return False
        if clean("".join(t for a in anchors for t in a.itertext())) != _text(li):
            return False
    return True


def _keyed_items(listing) -> dict:
    """{item: key} for a list whose items each start with a code of their own (see records)."""
    items = [li for li in listing if li.tag == "li"]
    if any(c.tag in ("ul", "ol", "table", "dl") for li in items for c in li):
        return {}
    keys = list_keys([_text(li) for li in items])
    return dict(zip(items, keys)) if keys else {}


def _label(el) -> str:
    """What names a link that shows no text: its title, an image's alt text, an ARIA label."""
    for e in el.iter("a", "img"):
        if name := clean(e.get("title") or e.get("aria-label") or e.get("alt") or ""):
            return name
    return ""


def _file_name(links: tuple[str, ...]) -> str:
    """The file a link points at, when it names one ("strategija.pdf"), else ""."""
    last = links[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    stem, dot, ext = last.rpartition(".")
    return last if dot and stem and ext.lower() not in _PAGE_EXTENSIONS else ""


_PAGE_EXTENSIONS = frozenset("html htm php asp aspx jsp cfm shtml".split())


def _is_header(tr) -> bool:
    """A table's first row that names its columns: header cells, or inside <thead>."""
    cells = [c for c in tr if c.tag in ("td", "th")]
    return bool(cells) and (all(c.tag == "th" for c in cells) or tr.getparent().tag == "thead")


def _owner_table(tr):
    for a in tr.iterancestors():
        if a.tag == "table":
            return a
    return None


def _copy(el):
    dup = deepcopy(el)
    dup.tail = None
    return dup


def _is_bold(el, text: str | None = None) -> bool:
    """Whole text (`_text(el)`, when known) inside <strong>/<b>: a pseudo-heading or date label."""
    bold = "".join(t for b in el.iter("strong", "b") for t in b.itertext())
    return bool(bold.strip()) and clean(bold) == (_text(el) if text is None else text)


