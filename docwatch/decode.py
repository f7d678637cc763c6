"""Bytes to text: declared charsets, BOMs, legacy encodings and mojibake repair."""

from __future__ import annotations

import codecs
import functools
import re

from .errors import ParseError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
# Old CMSs put the <meta> after kilobytes of inline script, so the whole head is searched.
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE
)
_HEAD_END = re.compile(rb"</head\s*>|<body[\s>]", re.IGNORECASE)
# Sequences that UTF-8 read as Latin-1/cp1252 leaves behind ("â€™", "Ã©", "Å¡").
_MOJIBAKE_LEADS = "ÂÃÄÅâ"
_MOJIBAKE = re.compile(f"[{_MOJIBAKE_LEADS}][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def declared_encoding(body: bytes, content_type: str | None = None) -> str | None:
    """The encoding a BOM, the HTTP header or a <meta> declares, if any."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    if content_type and (m := _HTTP_CHARSET.search(content_type)):
        if codec := _codec(m.group(1)):
            return codec
    end = _HEAD_END.search(body)
    head = body[: end.start() if end else 262_144]
    if m := _META_CHARSET.search(head):
        return _codec(m.group(1))
    return None


def looks_binary(body: bytes) -> bool:
    sample = body[:4096]
    if any(sample.startswith(bom) for bom, _ in _BOMS[1:]):
        return False
    return b"\x00" in sample or sample.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"PK\x03\x04"))


def not_text(body: bytes) -> ParseError | None:
    """Why a body is no text to read (empty, or binary), or None: what `decode_html` refuses,
    for a caller that must know before (a page is not drawn in a browser if so)."""
    if not body.strip():
        return ParseError("empty body", "empty")
    if looks_binary(body):
        return ParseError("binary content, not an HTML page", "binary")
    return None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body to text, repairing double-encoded UTF-8; ParseError if it is not text."""
    if refused := not_text(body):
        raise refused
    declared = declared_encoding(body, content_type)
    text = None
    if declared:
        try:
            text = body.decode(declared)
        except (UnicodeDecodeError, LookupError):
            text = None  # a wrong declaration is common; fall through to detection
    if text is None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(body[:262_144]).best()
            if best is None:
                raise ParseError("undecodable bytes: no text encoding fits", "undecodable") from None
            text = body.decode(best.encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    # Each lead character looked for on its own first: a fast search each, where the regex
    # scanned a 30 KB page in 70 µs (most pages have none of them).
    if any(lead in text for lead in _MOJIBAKE_LEADS) and _MOJIBAKE.search(text):
        text = _repaired(text)
    return text


_REACH = 80  # characters either side of a suspect sequence given to ftfy, within its word
_SPACES = " \t\r\n<>"  # where a word ends
_WORD_END = re.compile(f"[{_SPACES}]")


def _repaired(text: str) -> str:
    """The text with its mojibake repaired by ftfy, run only on the words that hold a suspect
    sequence (UTF-8 read as Latin-1 never spans a space or a tag): its badness scan over a
    whole 100 KB page was most of that page's parse, and a page repeats its broken words."""
    out, done = [], 0
    for m in _MOJIBAKE.finditer(text):
        if m.start() < done:
            continue
        lo = max(m.start() - _REACH, done)
        lo = max(lo, *(text.rfind(c, lo, m.start()) + 1 for c in _SPACES))
        end = _WORD_END.search(text, m.end(), m.end() + _REACH)
        hi = end.start() if end else min(m.end() + _REACH, len(text))
        out += [text[done:lo], _fixed(text[lo:hi])]
        done = hi
    out.append(text[done:])
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _fixed(word: str) -> str:
    import ftfy

    return ftfy.fix_encoding(word)
