"""PDF documents into the page model: their text with its layout (pdfminer.six), as the HTML
the page parser reads, so sections, dated entries and figures work as on pages.

The steps, each a function: the lines of each page with their size, weight and place
(`_lines`); running headers, footers and page numbers dropped (`_running`); lines grouped into
headings, paragraphs and list items, paragraphs re-joined across lines and pages and
hyphenation undone (`_blocks`); headings levelled by their numbering or their size (`_levels`);
the result written as HTML (`to_html`).
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from dataclasses import dataclass

from .errors import ParseError

PDF_TYPES = ("application/pdf", "application/x-pdf")
EDGE = 0.09  # the top and bottom of a page, as a share of its height: where running lines are
OUTER = 0.2  # ... and how far from them a page's first or last line may still be one
SAME_HEIGHT = 0.02  # a running line stands at the same height on every page
HEADING_SCALE = 1.15  # a line this much larger than the body text is a heading
MAX_HEADING = 150
_NUMBERED = re.compile(r"^(?:(?P<arabic>\d{1,2}(?:\.\d{1,2})*)\.?|(?P<roman>[IVXLC]{1,6})\.)\s+\S")
_BULLET = re.compile(r"^(?:[•·▪◦●○■–—-]|\(?[a-z]\)|\d{1,2}\))\s+")
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|puslapis|seite|strona|lappuse|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?"
    r"(?:\s*(?:of|iš|von|z|no|/)\s*\d{1,4})?(?:\s*(?:psl\.|p\.|s\.|str\.|lpp\.))?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;»\"”)]$")


def is_pdf(body: bytes | str, content_type: str | None = None) -> bool:
    """A PDF by its content type or its `%PDF` signature."""
    if (content_type or "").split(";")[0].strip().lower() in PDF_TYPES:
        return True
    return isinstance(body, bytes) and body[:1024].lstrip().startswith(b"%PDF")


@dataclass(frozen=True)
class Line:
    text: str
    size: float  # the font size most of its characters have
    bold: bool
    top: float  # 0 at the top of the page, 1 at the bottom
    page: int
    box: int  # the text box pdfminer grouped it into (a paragraph, usually)


@dataclass
class Block:
    kind: str  # heading | paragraph | item
    text: str
    level: int = 0
    size: float = 0.0
    numbered: int = 0  # the depth of a heading's number ("2.3." → 2), 0 when it has none
    page: int = 0  # where it ends


def to_html(body: bytes) -> tuple[str, dict[str, str]]:
    """The PDF as HTML for `parsing.parse`, and what to add to the document's metadata."""
    lines, pages, title = _lines(body)
    if not any(line.text.strip() for line in lines):
        raise ParseError(f"no text in its {pages} page(s): an image-only (scanned) PDF; "
                         "docwatch reads text, so run OCR on it first", "image_only")
    blocks = _levels(_blocks(_running(lines, pages)))
    heads = [b for b in blocks if b.kind == "heading"]
    title = title or (heads[0].text if heads else "")
    out = [f"<html><head><title>{html.escape(title)}</title></head><body><article>"]
    in_list = False
    for b in blocks:
        if b.kind == "item" and not in_list:
            out.append("<ul>")
        elif b.kind != "item" and in_list:
            out.append("</ul>")
        in_list = b.kind == "item"
        tag = {"heading": f"h{b.level}", "paragraph": "p", "item": "li"}[b.kind]
        out.append(f"<{tag}>{html.escape(b.text)}</{tag}>")
    out.append("</ul>" * in_list + "</article></body></html>")
    return "\n".join(out), {"format": "pdf", "pages": str(pages)}


# --- lines ------------------------------------------------------------------------------


def _lines(body: bytes) -> tuple[list[Line], int, str]:
    """Every text line with its layout, the page count and the document's own title."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psparser import PSException

    if b"%%EOF" not in body[-2048:]:
        raise ParseError("the PDF is cut short (its end-of-file mark is missing)", "truncated")
    lines: list[Line] = []
    pages = boxes = 0
    try:
        for pages, layout in enumerate(extract_pages(io.BytesIO(body), laparams=LAParams()), 1):
            height = layout.height or 1.0
            for element in layout:
                if not isinstance(element, LTTextBox):
                    continue
                boxes += 1
                for line in element:
                    if not isinstance(line, LTTextLine):
                        continue
                    chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                    text = " ".join(line.get_text().split())
                    if not text or not chars:
                        continue
                    size = Counter(round(c.size, 1) for c in chars).most_common(1)[0][0]
                    bold = sum(_is_bold(c.fontname) for c in chars) > 0.8 * len(chars)
                    lines.append(Line(text, size, bold, 1 - line.y1 / height, pages, boxes))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise ParseError("the PDF is encrypted and cannot be read without its password",
                         "encrypted") from None
    except (PSException, ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise ParseError(f"not a readable PDF ({type(e).__name__}: {e})", "broken_pdf") from None
    if not pages:
        raise ParseError("not a readable PDF (no pages)", "broken_pdf")
    return lines, pages, _title(body)


def _is_bold(fontname: str) -> bool:
    return bool(re.search(r"bold|black|heavy|semibold|demi", fontname, re.IGNORECASE))


def _title(body: bytes) -> str:
    """The Title in the PDF's document information, if it has a meaningful one."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.utils import decode_text

    try:
        info = PDFDocument(PDFParser(io.BytesIO(body))).info
        raw = info[0].get("Title") if info else None
    except Exception:  # noqa: BLE001 - the text was read; a title is a nicety
        return ""
    title = decode_text(raw) if isinstance(raw, bytes) else str(raw or "")
    title = " ".join(title.split())
    return "" if not title or title.lower() in ("untitled", "(anonymous)") else title


# --- running headers, footers and page numbers ------------------------------------------


def _running(lines: list[Line], pages: int) -> list[Line]:
    """The lines without what repeats at the top or bottom of the pages (digits aside: "3 psl.
    · 2025-01-15" on one page is "4 psl. · 2025-02-01" on the next) and page numbers.

    A running line is in a page's outer margin (`EDGE`), or it is the first or last line of
    its page, short, in the page's outer fifth (a footer set higher than usual), and it stands
    at the same height on at least two pages, half of them on a long document."""
    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    def at_edge(line: Line) -> bool:
        return line.top < EDGE or line.top > 1 - EDGE

    ends: set[int] = set()  # ids of each page's first and last lines
    for page in {line.page for line in lines}:
        on_page = [line for line in lines if line.page == page]
        ends.update(id(x) for x in (min(on_page, key=lambda x: x.top),
                                    max(on_page, key=lambda x: x.top)))

    def outer(line: Line) -> bool:
        return at_edge(line) or (id(line) in ends and len(line.text) <= 100
                                 and (line.top < OUTER or line.top > 1 - OUTER))

    seen: dict[str, dict[int, float]] = {}
    for line in lines:
        if outer(line):
            seen.setdefault(key(line), {})[line.page] = line.top
    repeated = {k for k, on in seen.items() if len(on) >= max(2, pages // 2)
                and max(on.values()) - min(on.values()) <= SAME_HEIGHT}
    return [line for line in lines if not outer(line)
            or (key(line) not in repeated and not (at_edge(line) and _PAGE_NUMBER.match(line.text)))]


# --- blocks -----------------------------------------------------------------------------


def _blocks(lines: list[Line]) -> list[Block]:
    """Headings, paragraphs and list items, in reading order; a paragraph broken by a page
    is one again."""
    body = _body_size(lines)
    blocks: list[Block] = []
    box = None
    for line in lines:
        numbered = _numbering(line.text)
        if _is_heading(line, body, numbered):
            blocks.append(Block("heading", line.text, size=line.size, numbered=numbered))
            box = None
            continue
        bullet = _BULLET.match(line.text)
        last = blocks[-1] if blocks else None
        continues = (last is not None and last.kind in ("paragraph", "item") and not bullet and (
            line.box == box or (line.page != last.page and _runs_on(last.text, line.text))))
        if continues:
            last.text = _join(last.text, line.text)
        elif bullet:
            blocks.append(Block("item", line.text[bullet.end():]))
        else:
            blocks.append(Block("paragraph", line.text))
        blocks[-1].page = line.page
        box = line.box
    return blocks


def _body_size(lines: list[Line]) -> float:
    """The size most of the text is set in."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _numbering(text: str) -> int:
    """The depth of a heading number ("2." → 1, "2.3." → 2, "II." → 1); 0 without one."""
    found = _NUMBERED.match(text)
    if not found:
        return 0
    return found["arabic"].count(".") + 1 if found["arabic"] else 1


def _is_heading(line: Line, body: float, numbered: int) -> bool:
    text = line.text
    if len(text) > MAX_HEADING or text.endswith((".", ",", ";")) and not numbered:
        return False
    if line.size >= body * HEADING_SCALE:
        return True
    if line.bold and not text.endswith((".", ",", ";")):
        return True
    # "3. Defence" in the body size: a numbered heading, unless it reads as a sentence
    return (bool(numbered) and len(text) <= 80 and line.size >= body
            and not _SENTENCE_END.search(text))


def _runs_on(text: str, following: str) -> bool:
    """Whether a paragraph that ends a page goes on at the top of the next."""
    return not _SENTENCE_END.search(text) and (following[:1].islower() or text.endswith("-"))


def _join(text: str, more: str) -> str:
    """Two lines of one paragraph: a word hyphenated at the line's end is made whole."""
    if text.endswith("\xad"):
        return text[:-1] + more
    if re.search(r"[^\W\d_]-$", text) and more[:1].islower():
        return text[:-1] + more
    return f"{text} {more}"


# --- heading levels ---------------------------------------------------------------------


def _levels(blocks: list[Block]) -> list[Block]:
    """h1 for the document's title (the largest heading of its start), then numbered headings
    by their depth and the others by their size."""
    heads = [b for b in blocks if b.kind == "heading"]
    if not heads:
        return blocks
    title = max(heads[:3], key=lambda b: b.size)
    sizes = sorted({b.size for b in heads if not b.numbered and b is not title}, reverse=True)
    top = 2 if title.size > max((b.size for b in heads if b is not title), default=0) else 1
    for b in heads:
        if b is title and top == 2:
            b.level = 1
        elif b.numbered:
            b.level = min(6, top + b.numbered - 1)
        else:
            b.level = min(6, top + sizes.index(b.size)) if b.size in sizes else top
    return blocks
