"""Text helpers shared by `parse`, `reading` and `diffing`: normalisation and word tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from lxml import etree

_QUOTES = {"‘": "'", "’": "'", "‚": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
           "«": '"', "»": '"', "–": "-", "—": "-"}
_QUOTES_RE = re.compile("[" + "".join(_QUOTES) + "]")
#: Words (numbers with their decimals and separators kept whole), whitespace, or one symbol.
_TOKEN_RE = re.compile(r"\w+(?:[.,'’]\w+)*|\s+|[^\w\s]")


def clean(text: str) -> str:
    """Collapse whitespace (NBSP included) and compose Unicode, as text is compared."""
    return " ".join(unicodedata.normalize("NFC", text).split())  # str.split: Unicode spaces


def inner_text(el) -> str:
    """All the text inside an element, as `"".join(el.itertext())`: serialised by libxml2, five
    times as fast as joining the text nodes in Python."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def fold(text: str) -> str:
    """A key that ignores case, quote style, dashes and spacing: for identity, not display."""
    text = clean(text)
    if not text.isascii():  # str.translate is slow on non-Latin-1 text; a regex is not
        text = _QUOTES_RE.sub(lambda m: _QUOTES[m.group()], text)
    return text.casefold()


def tokens(text: str) -> list[str]:
    """Split text into word, whitespace and symbol tokens for the word diff."""
    return _TOKEN_RE.findall(text)


def common_ends(a: Sequence, b: Sequence) -> tuple[int, int]:
    """How many items `a` and `b` share at their start, and then at their end."""
    most = min(len(a), len(b))
    head = 0
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def is_word(token: str) -> bool:
    return token[:1].isalnum() or token[:1] == "_"
