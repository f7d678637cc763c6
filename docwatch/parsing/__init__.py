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
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from .. import decode, locales, pdf, reading, text as text_module, volatile_words
from ..decode import decode_html
from ..errors import ParseError
from ..locales import code_of
from ..models import Document, ParseRules
from ..reading import reader
from ..text import clean
from .blocks import Builder, mark_breaks
from .counters import pictured
from .links import normalize_url
from .root import app_root, main_content
from .volatile import cut_ages, page_metadata, updated_line

__all__ = ["parse", "fingerprint", "normalize_url", "page_url", "tree", "updated_line"]

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same characters as the bytes that make them in UTF-8 and the 8-bit encodings.
_CONTROL_BYTES = tuple(bytes([c]) for c in range(0x20) if c not in b"\t\n\r")
_NONCHAR_BYTES = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
# Plain etree elements: lxml.html's per-element class lookup costs a tenth of the parse.
# `huge_tree`: libxml2 gives up at 256 levels of nesting without it (2,048 with it) and then
# returns an empty tree, which would read as "all content removed". A parser per page: its
# error log says when even that limit was reached.
_PARSER_OPTIONS = {"remove_comments": True, "remove_pis": True, "recover": True, "huge_tree": True}
MAX_DEPTH = 2048
# The walks over the tree recurse a few frames a level: a page nested 1,000 to 2,048 deep,
# which libxml2 reads, must not end in a RecursionError. Python-to-Python calls take no C
# stack (3.11+), so this costs nothing until a page needs it.
_FRAMES = 4 * MAX_DEPTH + 1_000
if sys.getrecursionlimit() < _FRAMES:
    sys.setrecursionlimit(_FRAMES)


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

    A page whose structure reads almost none of the text it shows (its text in boxes an app
    keeps hidden until its script runs, or all of it in a dialog) is read again for what a
    reader is shown; its metadata's `content_rule` says so.
    """
    args = (body, content_type, url, rules, language)
    doc, shell = _read(*args)
    read = _length(doc)
    if read < GATE * len(body):  # most pages' text is far more than this share of their bytes
        shown, _ = _read(*args, shown=True)
        if (seen := _length(shown)) >= MIN_SHOWN and read < SHARE_READ * seen:
            shown.metadata["content_rule"] = (
                f"visible text: the page's structure read {read:,} of the {seen:,} characters "
                "it shows; read as passages of what is shown")
            return shown
    if shell:
        raise ParseError("the page's text is drawn by JavaScript (an empty app shell): add "
                         'render = "browser" to its [[source]]', "needs_browser")
    return doc


GATE = 0.02  # characters read per byte below which the page is read again for what it shows
MIN_SHOWN = 1_000  # characters shown: fewer are a notice or a shell, never a page to read again
SHARE_READ = 0.1  # the structure's share of the shown text below which the shown text is read


def _length(doc: Document) -> int:
    return sum(len(b.text) for s in doc.sections for b in s.blocks)


def _read(body: bytes | str, content_type: str | None, url: str | None, rules: ParseRules,
          language: str | None, *, shown: bool = False) -> tuple[Document, bool]:
    """The page's document, and whether it is an empty app shell (script-drawn)."""
    root, extra = tree(body, content_type)
    title = clean(root.findtext(".//title") or "")
    url = page_url(root, url)
    lang = code_of(rules.lang or root.get("lang") or root.get("xml:lang")
                   or (language or "").split(",")[0])
    builder = Builder(url, [re.compile(p) for p in rules.ignore], reader(lang))
    builder.metadata.update(extra)
    page_metadata(root, builder.metadata, builder.reader)
    scripted = root.find(".//script") is not None  # asked before scripts are dropped as noise
    content = main_content(root, rules, builder.metadata, pictograms=pictured(body),
                           shown=shown)
    if content is not None:
        cut_ages(content, builder.reader, builder.metadata, body)
        builder.blocky = mark_breaks(content)
        builder.walk(content)
    sections = builder.finish()
    shell = scripted and not any(s.blocks for s in sections) and app_root(root)
    # The page's <h1> heads every section path: that is the document's title.
    h1 = next((s.path[0] for s in sections if s.path), None) if builder.top_level == 1 else None
    return Document(title=h1 or title, sections=tuple(sections), metadata=builder.metadata,
                    lang=lang), shell


def page_url(root, url: str | None) -> str | None:
    """The address the page's relative links are read against: its `<base href>`, else `url`."""
    base = root.find(".//base[@href]")
    return urljoin(url or "", base.get("href").strip()) if base is not None else url


def tree(body: bytes | str, content_type: str | None = None) -> tuple[Any, dict[str, str]]:
    """Bytes (an HTML page, a PDF, plain text) to an lxml tree, with what a PDF says of itself;
    `ParseError` for anything that is not a page."""
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
    if not text or text.isspace():  # not text.strip(), which copies the page
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
    return root, extra


def _may_hold_controls(body: bytes) -> bool:
    """Whether text decoded from `body` may hold control characters: a check of the bytes is
    C-fast (memchr for each byte: a third of deleting them all), where a regex scan of the text
    cost 75 µs a page. Bytes without them decode to text without them in every
    ASCII-compatible encoding; UTF-16 and UTF-32 always have them."""
    return any(b in body for b in _CONTROL_BYTES) or any(b in body for b in _NONCHAR_BYTES)


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
    for module in (decode, locales, pdf, reading, text_module, volatile_words):
        sha.update(Path(module.__file__).read_bytes())
    here = Path(__file__).parent
    for step in sorted([*here.glob("*.py"), *here.glob("*.txt")]):
        sha.update(step.read_bytes())
    return sha.digest()

