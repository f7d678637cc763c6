"""Bytes to `Document`: main content, sections by headings, passages, dated entries, links.

Pure: no I/O, no database. The steps, in order:

1. decode (charsets, BOMs, mojibake) and build an lxml tree;
2. drop what is never content (scripts, navigation, header, footer, sidebars, widgets,
   hidden elements, a source's `exclude` selectors);
3. find the main content: the source's `content` selector, else `<main>`/`role=main`,
   else the densest container of non-link text (widened to take in the page's `<h1>`);
4. walk it in reading order into sections (by heading text) of blocks: paragraphs, list
   items, table rows, dated entries and stand-alone links; volatile lines ("Updated on:",
   "Number of views (4099)", today's date) go to metadata instead.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from . import decode, entries, locales, pdf, reading, text as text_module
from .decode import decode_html
from .entries import repeated_entries
from .errors import ParseError
from .locales import all_volatile_words, alternation as _alt, code_of
from .models import Block, Document, ParseRules, Section
from .reading import Reader, reader
from .text import clean

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCK_TAGS = frozenset(
    "address article aside blockquote center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
NOISE_TAGS = frozenset(
    "script style noscript template svg iframe object embed canvas nav aside footer input "
    "select textarea button option map audio video dialog menu head link meta".split()
)
NOISE_ROLES = frozenset(
    "navigation banner contentinfo complementary search dialog alertdialog menu menubar "
    "toolbar tablist".split()
)
# Class/id words of page furniture. Applied only to elements that hold little of the
# page's text and no <h1>, so a wrapper such as "content-sidebar-wrapper" survives.
NOISE_NAME_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|crumbs?|path|you-?are-?here|footer|sidebar|share|sharing|"
    r"social|addthis|sharethis|calendar|counter|visitors?|cookies?|skip|search|login|pager|"
    r"pagination|print|toolbar|lang|language|related|newsletter|subscribe|modal|popup|advert|"
    r"ads|carousel|slider|flexslider|slides|sitemap|accessibility|widget-calendar)(?=$|[\s_-])",
    re.IGNORECASE,
)
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Volatile lines ("Updated on: 2011.03.31", "Zuletzt aktualisiert am 19.11.2025 um 07:56 Uhr",
# "Peržiūrų skaičius: 1234"): recorded as metadata, never content. Words of every language
# docwatch knows apply on every page: a German "Stand:" line is volatile on an English page too.
UPDATED_WORDS, COUNTER_WORDS = all_volatile_words("updated"), all_volatile_words("views")
_COMMENTS, _VISITORS = all_volatile_words("comments"), all_volatile_words("visitors")
UPDATED_RE = re.compile(
    rf"^[\W_]*(?:page\s+|this\s+page\s+was\s+|content\s+)?(?:{_alt(UPDATED_WORDS)})"
    r"(?:\s+(?:on|am|le|dnia|at))?\s*[:\-–]?\s*(.{0,60}?)[\s\W]*$", re.IGNORECASE)
# What may stand beside the date in an updated line: connectives and a clock time.
_UPDATED_REST_RE = re.compile(
    r"\b(?:\d{1,2}[:.]\d{2}(?::\d{2})?|on|am|um|at|à|le|o|d\.|val\.|uhr|h|godz\.|plkst\.|,|-)\b\.?",
    re.IGNORECASE)


def _hints(phrases) -> frozenset[str]:
    """The first word of each phrase (and its plural): a line with none of them is not one."""
    first = {p.split()[0].rstrip(":") for p in phrases}
    return frozenset(first | {w + "s" for w in first})


_HINT_WORD_RE = re.compile(r"[^\W\d_]{2,}")
UPDATED_HINTS = _hints(UPDATED_WORDS)
COUNTER_HINTS = _hints(COUNTER_WORDS + _COMMENTS + _VISITORS)
# Counters, wherever they sit in a short line ("Number of views (4099)/Comments (0)").
COUNTERS = (
    ("views", re.compile(
        rf"(?:{_alt(COUNTER_WORDS)})\s*[:(]?\s*(\d[\d\s,.]*)\)?(?:\s*(?:times|kartų|kartus|mal|fois|razy))?"
        rf"|(\d[\d\s,.]*)\s*(?:{_alt(COUNTER_WORDS)})\b", re.IGNORECASE)),
    ("comments", re.compile(rf"(?:{_alt(_COMMENTS)})\s*[:(]\s*(\d+)\)?", re.IGNORECASE)),
    # "Visitors: 12", and labels of several such words: "Visitors today: 12", "Besucher heute: 3".
    ("visitors", re.compile(
        rf"(?:(?:{_alt(_VISITORS + COUNTER_WORDS)})s?\s*){{1,3}}[:\-]?\s*(\d[\d\s,.]*)",
        re.IGNORECASE)),
)
SESSION_PARAM_RE = re.compile(
    r"^(?:sid|sessionid|session_id|phpsessid|jsessionid|aspsessionid\w*|token|csrf\w*|"
    r"utm_\w+|_ga|_gl|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|"
    r"mkt_tok|cmpid|s_cid|xtor|wt\.mc_id|ref_src|cachebuster|_|ts|timestamp)$", re.IGNORECASE
)
# Cache-busting parameters: `?v=1764253365`, `?t=9f3a2c1d`; a bare `?1764253365` too.
CACHE_PARAM_RE = re.compile(r"^(?:v|ver|version|t|cb|rnd|rand|random|nocache|_t|itok|time|"
                            r"hash|h|rev|build|\d+)$", re.IGNORECASE)
CACHE_VALUE_RE = re.compile(r"^(?:\d{6,}|[0-9a-f]{6,}|[\d.]+)?$", re.IGNORECASE)
_DIGIT_RE = re.compile(r"\d")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same characters as the bytes that make them in UTF-8 and the 8-bit encodings.
_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r")
_NONCHAR_BYTES = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
# Plain etree elements: lxml.html's per-element class lookup costs a tenth of the parse.
# `huge_tree`: libxml2 gives up at 256 levels of nesting without it (2,048 with it) and then
# returns an empty tree, which would read as "all content removed". A parser per page: its
# error log says when even that limit was reached.
_PARSER_OPTIONS = {"remove_comments": True, "remove_pis": True, "recover": True, "huge_tree": True}
MAX_DEPTH = 2048
MAX_HEADING = 160


def parse(
    body: bytes | str,
    *,
    content_type: str | None = None,
    url: str | None = None,
    rules: ParseRules = ParseRules(),
    language: str | None = None,
) -> Document:
    """Parse an HTML page into a `Document`; raise `ParseError` for anything that is not one.

    The page's language (for its dates and figures) is `rules.lang`, else the page's
    `<html lang>`, else `language` (the Content-Language header), else English.
    """
    extra: dict[str, str] = {}
    raw: bytes | None = None  # the bytes the text was decoded from
    if pdf.is_pdf(body, content_type):
        text, extra = pdf.to_html(body if isinstance(body, bytes) else body.encode("latin-1"))
    elif isinstance(body, str):
        text = body
    else:
        text, raw = decode_html(body, content_type), body
    text = _XML_DECL_RE.sub("", text, count=1)
    if raw is None or _may_hold_controls(raw):  # which lxml refuses in text
        text = _CONTROL_RE.sub("", text)
    if not text.strip():
        raise ParseError("empty body", "empty")
    if (content_type or "").lower().startswith("text/plain"):
        text = _plain_to_html(text)
    elif "<" not in text:
        raise ParseError("no markup: not an HTML page")
    parser = etree.HTMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as e:
        raise ParseError(f"not parseable as HTML: {e}") from None
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise ParseError(f"elements nested over {MAX_DEPTH:,} deep: the HTML parser stops "
                         "there, and what is below would be lost", "too_deep")
    if root is None or not isinstance(root.tag, str):
        raise ParseError("not parseable as HTML: no document element")
    title = clean(root.findtext(".//title") or "")
    base = root.find(".//base[@href]")
    if base is not None:
        url = urljoin(url or "", base.get("href").strip())
    lang = code_of(rules.lang or root.get("lang") or root.get("xml:lang")
                   or (language or "").split(",")[0])
    builder = _Builder(url, [re.compile(p) for p in rules.ignore], reader(lang))
    builder.metadata.update(extra)
    _page_metadata(root, builder.metadata, builder.reader)
    content = _main_content(root, rules, builder.metadata)
    if content is not None:
        builder.blocky = _mark_breaks(content)
        builder.walk(content)
    sections = builder.finish()
    # The page's <h1> heads every section path: that is the document's title.
    h1 = next((s.path[0] for s in sections if s.path), None) if builder.top_level == 1 else None
    return Document(title=h1 or title, sections=tuple(sections), metadata=builder.metadata,
                    lang=lang)


def _may_hold_controls(body: bytes) -> bool:
    """Whether text decoded from `body` may hold control characters: a check of the bytes is
    C-fast, where a regex scan of the text cost 75 µs a page. Bytes without them decode to text
    without them in every ASCII-compatible encoding; UTF-16 and UTF-32 always have them."""
    return (len(body.translate(None, _CONTROL_BYTES)) != len(body)
            or any(b in body for b in _NONCHAR_BYTES))


def _plain_to_html(text: str) -> str:
    """A text/plain page: its blank-line-separated paragraphs become paragraphs."""
    import html

    paragraphs = (p.strip() for p in re.split(r"\n\s*\n", text))
    return "<html><body><main>" + "".join(
        f"<p>{html.escape(p)}</p>" for p in paragraphs if p) + "</main></body></html>"


def fingerprint(rules: ParseRules = ParseRules()) -> str:
    """Names what `parse` makes of a page: this parser's code and a source's rules.

    Sections stored under the same fingerprint can stand in for a re-parse of their raw HTML.
    """
    return hashlib.sha256(_code_digest() + repr(rules).encode()).hexdigest()[:16]


@functools.cache
def _code_digest() -> bytes:
    # Any edit to the parser's modules changes it: no version number to forget to bump.
    sha = hashlib.sha256()
    for module in (decode, entries, locales, pdf, reading, text_module):
        sha.update(Path(module.__file__).read_bytes())
    sha.update(Path(__file__).read_bytes())
    return sha.digest()


def _page_metadata(root, metadata: dict[str, str], reader: Reader) -> None:
    """An "Updated on" line is worth recording even where it sits in the footer."""
    text = "\n".join(root.itertext())
    low = text.lower()
    if len(low) != len(text):  # a rare letter whose lower case is longer: go line by line
        low = text = "\n".join(line.lower() for line in text.split("\n"))
    # str.find over the whole page is far cheaper than a regex tried at every line start.
    for word in reader.updated_words:
        at = low.find(word)
        while at >= 0:
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            line = text[text.rfind("\n", 0, at) + 1:end].strip()
            if 6 < len(line) <= 100 and (when := updated_line(line, reader)):
                metadata.setdefault("updated", when)
                return
            at = low.find(word, end)


def updated_line(line: str, reader: Reader) -> str | None:
    """The date of an "Updated on …" line ("Atnaujinta: 2023-07-03", "Zuletzt aktualisiert am
    19.11.2025 um 07:56 Uhr"); None when the line says more than that."""
    m = UPDATED_RE.match(line)
    if not m:
        return None
    when = clean(m.group(1))
    rest = when
    for d in reversed(list(reader.dates(when))):
        rest = rest[:d.start()] + " " + rest[d.end():]
    if rest == when and not re.match(r"\d", when):
        return None  # no date: "Updated guidance for schools"
    # Beside the date only connectives and a clock time: "am … um 07:56 Uhr".
    return None if re.search(r"[^\W\d_]{2,}", _UPDATED_REST_RE.sub(" ", rest)) else when


# --- main content -------------------------------------------------------------------------


def _main_content(root, rules: ParseRules, metadata: dict[str, str]):
    body = root.find("body")
    if body is None:
        body = root
    for selector in rules.exclude:
        for el in _select(root, selector):
            _drop(el)
    _drop_noise(body)
    weights = _weights(body)
    total = weights.get(body, (0, 0))[0] or 1
    _drop_furniture(body, weights, total)
    total = weights.get(body, (0, 0))[0] or 1
    if rules.content:
        found = _select(root, rules.content)
        if found:
            if len(found) == 1:
                return found[0]
            wrapper = etree.Element("div")
            wrapper.extend(found)  # moves them out of the tree: fine, the tree is ours
            return wrapper
        metadata["content_selector"] = f"{rules.content!r} matched nothing; detected instead"
    for el in body.iter("main", "article", "*"):
        if el.tag == "main" or el.get("role") == "main":
            if weights.get(el, (0, 0))[0] >= 0.3 * total:
                return _widen_to_h1(el, weights)
    return _widen_to_h1(_densest(body, weights, total), weights)


#: Containers that are content themselves: a chronology table that grows to most of the
#: page's text is still one part of the page, not the page.
_NEVER_ROOT = frozenset("ul ol li dl dt dd pre blockquote p".split())
_TABLE_PARTS = frozenset("table thead tbody tfoot tr td th".split())
_LAYOUT_BLOCKS = ("p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4")


def _densest(body, weights: dict, total: int):
    """The container holding most of the page's non-link text, without leaving headings out.

    Descending by weight alone flips when one table or list outgrows the rest of the page;
    a container that leaves a section heading (h1–h3) outside is already too deep.
    """
    node, headings = body, _headings(body)
    while True:
        heavier = [c for c in node if weights.get(c, (0, 0))[0] >= 0.55 * total]
        if not heavier or heavier[0].tag in _NEVER_ROOT or _data_table(heavier[0]):
            return node
        child = heavier[0]
        if (inside := _headings(child)) < headings:
            return node
        node, headings = child, inside


def _data_table(el) -> bool:
    """A table (or part of one) of data; a table whose cells hold blocks lays out the page."""
    if el.tag not in _TABLE_PARTS:
        return False
    return next((d for d in el.iter(*_LAYOUT_BLOCKS) if d is not el), None) is None


def _headings(el) -> int:
    return sum(1 for _ in el.iter("h1", "h2", "h3"))


def _select(root, selector: str) -> list:
    from lxml.cssselect import CSSSelector  # noqa: PLC0415 - cssselect is only needed here

    return CSSSelector(selector, translator="html")(root)


def _drop(el) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + " " + el.tail
        else:
            parent.text = (parent.text or "") + " " + el.tail
    parent.remove(el)


def _drop_noise(body) -> None:
    # Tags are matched by libxml2 (`iter(*tags)`); attributes need a look at each element.
    doomed = [el for el in body.iter(*NOISE_TAGS, "header", etree.Comment,
                                     etree.ProcessingInstruction)
              if el.tag != "header" or not _inside(el, ("main", "article"))]
    for el in body.iter():
        attrib = el.attrib if isinstance(el.tag, str) else None
        if attrib and (
            attrib.get("role", "").lower() in NOISE_ROLES
            or "hidden" in attrib
            or attrib.get("aria-hidden", "").lower() == "true"
            or HIDDEN_STYLE_RE.search(attrib.get("style", ""))
        ):
            doomed.append(el)
    for el in doomed:
        _drop(el)


def _inside(el, tags: tuple[str, ...]) -> bool:
    return any(a.tag in tags or a.get("role") == "main" for a in el.iterancestors())


def _weights(body) -> dict:
    """Per element: (non-link text length, link text length), in one post-order pass."""
    weights: dict = {}
    _weigh(body, False, weights)
    return weights


def _weigh(el, in_link: bool, weights: dict) -> tuple[int, int]:
    # A module function, not a closure calling itself: that is a reference cycle, which kept
    # every page's whole tree (libxml2's memory, out of the GC's sight) alive until the
    # collector's rare full pass — 35 KB a page, 40 MB a worker by the end of a first cycle.
    link = in_link or el.tag == "a"
    own = len((el.text or "").strip())
    text, linked = (0, own) if link else (own, 0)
    for child in el:
        t, k = _weigh(child, link, weights)
        text += t
        linked += k
        tail = len((child.tail or "").strip())
        if in_link:
            linked += tail
        else:
            text += tail
    weights[el] = (text, linked)
    return text, linked


def _drop_furniture(body, weights: dict, total: int) -> None:
    doomed = []
    for el in body.iter():
        if not el.attrib or not _furniture_name(el.get("class"), el.get("id")):
            continue
        text, linked = weights.get(el, (0, 0))
        if text > 0.3 * total or el.find(".//h1") is not None or el.tag in ("body", "html"):
            continue
        if any(a in doomed for a in el.iterancestors()):
            continue
        doomed.append(el)
    for el in doomed:
        # Keep the weights true without another pass: the element's text leaves its ancestors.
        text, linked = weights[el]
        for a in el.iterancestors():
            if a not in weights:
                break  # above <body>
            t, k = weights[a]
            weights[a] = (t - text, k - linked)
        _drop(el)


@functools.lru_cache(maxsize=4096)  # a page repeats its class names many times
def _furniture_name(cls: str | None, ident: str | None) -> bool:
    return bool(NOISE_NAME_RE.search(f"{cls or ''} {ident or ''}"))


def _widen_to_h1(node, weights: dict):
    """Take in the page's <h1> when it sits just outside the chosen container."""
    if node.tag == "h1" or node.find(".//h1") is not None:
        return node
    base = weights.get(node, (0, 0))[0]
    for ancestor in node.iterancestors():
        if weights.get(ancestor, (0, 0))[0] > 1.5 * base + 300:
            break
        if ancestor.find(".//h1") is not None:
            return ancestor
    return node


def _mark_breaks(content) -> set:
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
    return clean("".join(el.itertext()))


class _Builder:
    """Collects headings and blocks in reading order into sections."""

    def __init__(self, url: str | None, ignore: list[re.Pattern], reader: Reader):
        self.url = url
        self.ignore = ignore
        self.reader = reader
        self.metadata: dict[str, str] = {}
        self.stack: list[tuple[int, str]] = []
        self.sections: list[tuple[tuple[str, ...], list[Block]]] = [((), [])]
        self.entry: list | None = None  # [date, [texts], [links]] while an entry is open
        self.top_level = 0
        self.blocky: set = set()  # elements with a block element inside (see _mark_breaks)

    # sections ---------------------------------------------------------------------------
    def heading(self, level: int, text: str) -> None:
        self.close_entry()
        if not text or (self.stack and self.stack[-1][1] == text):
            return  # the title repeated as a heading is one heading
        if not self.stack and not any(b for _, b in self.sections[1:]):
            self.top_level = self.top_level or level
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        self.sections.append((tuple(t for _, t in self.stack), []))

    def add(self, kind: str, text: str, links: tuple[str, ...] = (), date: str | None = None):
        for pattern in self.ignore:
            text = clean(pattern.sub("", text))
        if not text and not links:
            return
        if kind != "entry" and self._volatile(text):
            return
        self.sections[-1][1].append(Block(kind, text, date, links))

    def _volatile(self, text: str) -> bool:
        # Every volatile line holds a figure: a count, a date or a time.
        if len(text) > 100 or not _DIGIT_RE.search(text):
            return False
        if self.reader.is_today_line(text):
            self.metadata["date"] = text
            return True
        words = set(_HINT_WORD_RE.findall(text.casefold()))
        if not words.isdisjoint(UPDATED_HINTS) and (when := updated_line(text, self.reader)):
            self.metadata["updated"] = when
            return True
        if words.isdisjoint(COUNTER_HINTS):
            return False
        rest, found = text, {}
        for name, pattern in COUNTERS:
            if matches := list(pattern.finditer(rest)):
                found[name] = clean(next(g for g in matches[-1].groups() if g is not None))
                rest = pattern.sub("", rest)
        if found and not any(ch.isalnum() for ch in rest):
            self.metadata.update(found)
            return True
        return False

    # entries ----------------------------------------------------------------------------
    def paragraph(self, text: str, links: tuple[str, ...],
                  bold: Callable[[], bool] | None = None) -> None:
        """A paragraph's text; `bold` says whether all of it is bold, asked only of a short
        one that could be a pseudo-heading (most paragraphs are read without it)."""
        if not text:
            if links:
                self.add("link", "", links)
            return
        dated = self.reader.leading_date(text)
        if dated and not dated[1]:
            self.close_entry()
            self.entry = [dated[0], [], list(links)]
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
        date, texts, links = self.entry
        self.entry = None
        self.add("entry", "\n".join(texts), tuple(links), date)

    def block(self, kind: str, text: str, links: tuple[str, ...], date: str | None = None):
        self.close_entry()
        self.add(kind if date or kind != "item" else self._kind(text, links, kind), text, links, date)

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
            listing = repeated_entries(el, self.reader, _text)
            for li in el:
                if li in listing:
                    self._listed(li, listing[li])
                elif li.tag == "li":
                    self._item(li)
                else:
                    self.walk(li)
        elif tag == "table":
            self._table(el)
        elif tag == "dl":
            self._dl(el)
        elif el not in self.blocky:
            text = _text(el)
            self.paragraph(text, self.links(el), lambda: _is_bold(el, text))
        else:
            self._mixed(el)

    def _mixed(self, el) -> None:
        """A container with both inline runs and block children: runs become paragraphs."""
        run: list = []  # strings and inline elements, in order

        def flush() -> None:
            if not run:
                return
            text = clean("".join(p if isinstance(p, str) else "".join(p.itertext()) for p in run))
            links = tuple(h for p in run if not isinstance(p, str) for h in self.links(p))
            if text or links:
                self.paragraph(text, links, lambda: all(
                    isinstance(p, str) and not p.strip() or not isinstance(p, str) and _is_bold(p)
                    for p in run))
            run.clear()

        if el.text and el.text.strip():
            run.append(el.text)
        listing = repeated_entries(el, self.reader, _text)
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
                    _drop(c)
            self.block("item", _text(own), self.links(own))
            for c in nested:
                self.walk(c)
        else:
            self.block("item", _text(li), self.links(li))

    def _table(self, table) -> None:
        self.close_entry()
        rows = [tr for tr in table.iter("tr") if _owner_table(tr) is table]
        cells_of = [[c for c in tr if c.tag in ("td", "th")] for tr in rows]
        # A table whose cells hold paragraphs, lists or tables lays out a page; it is no table.
        if any(c in self.blocky for cells in cells_of for c in cells):
            for cells in cells_of:
                for c in cells:
                    self.walk(c)
            return
        for tr, cells in zip(rows, cells_of):
            texts = [_text(c) for c in cells]
            if not any(texts):
                continue
            first = self.reader.leading_date(texts[0]) if texts else None
            if first and not first[1] and len(texts) > 1:
                self.block("entry", " | ".join(t for t in texts[1:] if t), self.links(tr), first[0])
            else:
                self.block("row", " | ".join(texts), self.links(tr))

    def _dl(self, dl) -> None:
        self.close_entry()
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
                self.block("item", f"{term}: {text}" if term else text, self.links(child))

    def finish(self) -> list[Section]:
        self.close_entry()
        return [
            Section(path, tuple(blocks))
            for i, (path, blocks) in enumerate(self.sections)
            if path or blocks or i
        ]


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


@functools.lru_cache(maxsize=8192)  # a site repeats its links on every page and every check
def normalize_url(href: str, base: str | None = None) -> str:
    """Absolute URL without fragment and without session ids, tokens or tracking parameters."""
    url = urljoin(base, href) if base else href
    try:
        parts = urlsplit(url)
    except ValueError:
        return href
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not SESSION_PARAM_RE.match(k)
             and not (CACHE_PARAM_RE.match(k) and CACHE_VALUE_RE.match(v))]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))
