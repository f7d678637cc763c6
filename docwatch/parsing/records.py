"""Tables of records: rows that carry an identifier of their own (a form or document number, a
law's abbreviation, a register code) are matched by it, never by how alike they read.

A table is one of records when one of its columns holds values unique in the table, short and
code-like (digits, letters with digits, abbreviations), or else when its first column's values
are unique; a list is one when each of its items starts with such a code ("118-3 Request for
leave"). Dates and running numbers (1, 2, 3 …) are no keys: they change when a row is added.
Pure: texts in, the key column or the keys out.
"""

from __future__ import annotations

import re

from ..reading import Reader
from ..text import fold

MIN_RECORDS = 3  # fewer rows are a small table, read as rows
MAX_CODE = 24  # characters of a code-like key
MAX_FIRST_COLUMN = 80  # characters of a key that is only a unique first column
_ABBREVIATION_RE = re.compile(r"[A-ZÀ-Ž][A-ZÀ-Ž0-9&.\-]{1,11}")
# An amount, a share or a size ("1,200", "2.5 %", "€ 3 000", "637 kB"): a figure, not a code.
_QUANTITY_RE = re.compile(
    r"[$€£]?\s*\d{1,3}(?:[ ,.\u00a0]\d{3})*(?:[.,]\d+)?\s*(?:%|[^\W\d_]{1,5}\.?)?")
_LEADING_CODE_RE = re.compile(
    r"^((?:[A-ZÀ-Ž][\w.]*\s)?(?:[A-ZÀ-Ž]{1,6}[-–]?)?\d+(?:[./\-–]\d+)*[A-Za-z]?)[.:)]?\s+(?=\S)")
_NUMBER_RE = re.compile(r"\d+")
_YEAR_RE = re.compile(r"(?:1[89]|20)\d\d(?:\s*m\.)?")


def key_column(rows: list[list[str]], reader: Reader, *, rich: bool = False) -> int | None:
    """The column that identifies the rows (cell texts, header row left out), if one does.

    `rich`: some cells hold paragraphs or lists. Such a table is one of records only when its
    rows have one shape (a layout table's rows seldom do), and its key is then never the
    column of long texts.
    """
    if len(rows) < MIN_RECORDS:
        return None
    width = min(len(r) for r in rows)
    if width < 2 or rich and width != max(len(r) for r in rows):
        return None
    columns = [[r[c] for r in rows] for c in range(width)]
    for c, values in enumerate(columns):
        if _unique(values) and all(code_like(v) for v in values) \
                and not _dates(values, reader) and not _running_numbers(values):
            return c
    first = columns[0]
    if _unique(first) and all(len(v) <= MAX_FIRST_COLUMN for v in first) \
            and not _dates(first, reader) and not _running_numbers(first) \
            and not all(_NUMBER_RE.fullmatch(v.replace(",", "").replace(".", "")) for v in first):
        return 0
    return None


def list_keys(texts: list[str]) -> list[str] | None:
    """The code each item of a list starts with, when every item starts with one of its own."""
    if len(texts) < MIN_RECORDS:
        return None
    keys = []
    for text in texts:
        m = _LEADING_CODE_RE.match(text)
        if not m or len(m.group(1)) > MAX_CODE:
            return None
        keys.append(m.group(1))
    if not _unique(keys) or _running_numbers(keys):
        return None
    return keys


def _unique(values: list[str]) -> bool:
    folded = [fold(v) for v in values]
    return all(folded) and len(set(folded)) == len(folded)


def code_like(value: str) -> bool:
    """A form number, a register code, an abbreviation: "118-3", "SF-86", "2024/117", "GDPR"."""
    value = value.strip()
    if not value or len(value) > MAX_CODE or len(value.split()) > 3:
        return False
    if value.isdigit():
        return True
    if any(ch.isdigit() for ch in value):
        return not _QUANTITY_RE.fullmatch(value)
    return bool(_ABBREVIATION_RE.fullmatch(value))


def _dates(values: list[str], reader: Reader) -> bool:
    """Mostly dates or years: when something happened, which a correction changes."""
    def dated(v: str) -> bool:
        v = v.strip(" .,")
        return bool(_YEAR_RE.fullmatch(v) or reader.date_re.fullmatch(v))

    return sum(map(dated, values)) > len(values) // 2


def _running_numbers(values: list[str]) -> bool:
    """1, 2, 3 … (or 1., 2., 3.): a row's place, which changes when a row is added."""
    numbers = [v.strip(" .)") for v in values]
    if not all(n.isdigit() for n in numbers):
        return False
    ints = [int(n) for n in numbers]
    return all(b - a in (1, -1) for a, b in zip(ints, ints[1:]))
