"""Text helpers shared by `parse` and `diffing`: normalisation, dates, figures, word tokens."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)"
_DASH = r"\s*[-–—]\s*"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DAY_RANGE = rf"{_DAY}(?:{_DASH}{_DAY})?"
_MONTH = rf"(?:{_MONTHS})\.?"

#: Dates as ministries write them: "17 November 1990", "3-4 April 2019", "29March 2014",
#: "30 November - 1 December 2023", "June 28, 1969", "2011.03.31", "April 2023".
DATE_RE = re.compile(
    # The lookahead turns most word starts away before the alternatives are tried (2x faster).
    rf"""(?<![\w.])(?=\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)
    (?:{_WEEKDAY}?(?:
        {_DAY}\s*{_MONTH}{_DASH}{_DAY}\s*{_MONTH}\s+\d{{4}}       # 30 November - 1 December 2023
      | {_DAY_RANGE}\s*{_MONTH},?\s+\d{{4}}                         # 3-4 April 2019
      | {_MONTH}\s+{_DAY_RANGE},?\s+\d{{4}}                         # June 28, 1969
      | \d{{4}}[.\-/]\d{{1,2}}[.\-/]\d{{1,2}}                       # 2011.03.31
      | \d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}                           # 31.03.2011
      | {_MONTH}\s+\d{{4}}                                          # April 2023
    ))(?![\w])""",
    re.VERBOSE | re.IGNORECASE,
)
_WEEKDAY_DATE_RE = re.compile(rf"^\s*{_WEEKDAY}", re.IGNORECASE)

_NUMBER = r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
#: Numbers, percentages and amounts: "2.5 %", "2%", "2 percent", "€1.2 million", "4,800".
FIGURE_RE = re.compile(
    rf"""(?<![\w.])(?=[\d$€£]|USD|EUR)(?:
        \d+(?:[.,]\d+)?\s?[-–]\s?\d+(?:[.,]\d+)?\s?(?:%|per\s?cent\b|percent\b)    # 5-6 %
      | \d{{4}}\s?[-–]\s?\d{{4}}(?!\d)                                               # 2026-2030
      | \d{{4}}\s?[-–]\s?\d{{2}}(?![\d.,])                                             # 2014-20
      | (?:[$€£]|USD|EUR)\s?(?:{_NUMBER})(?:\s?(?:million|billion|bn|m|k)\b)?
      | (?:{_NUMBER})(?:\s?(?:%|per\s?cent\b|percent\b)|\s(?:million|billion)\b(?:\s(?:euros?|dollars|EUR|USD)\b)?
                     |\s(?:euros?|dollars|EUR|USD)\b)?
    )""",
    re.VERBOSE | re.IGNORECASE,
)

_QUOTES = {"‘": "'", "’": "'", "‚": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
           "«": '"', "»": '"', "–": "-", "—": "-"}
_QUOTES_RE = re.compile("[" + "".join(_QUOTES) + "]")
#: Words (numbers with their decimals and separators kept whole), whitespace, or one symbol.
_TOKEN_RE = re.compile(r"\w+(?:[.,'’]\w+)*|\s+|[^\w\s]")


def clean(text: str) -> str:
    """Collapse whitespace (NBSP included) and compose Unicode, as text is compared."""
    return " ".join(unicodedata.normalize("NFC", text).split())  # str.split: Unicode spaces


def fold(text: str) -> str:
    """A key that ignores case, quote style, dashes and spacing: for identity, not display."""
    text = clean(text)
    if not text.isascii():  # str.translate is slow on non-Latin-1 text; a regex is not
        text = _QUOTES_RE.sub(lambda m: _QUOTES[m.group()], text)
    return text.casefold()


def tokens(text: str) -> list[str]:
    """Split text into word, whitespace and symbol tokens for the word diff."""
    return _TOKEN_RE.findall(text)


def is_word(token: str) -> bool:
    return token[:1].isalnum() or token[:1] == "_"


def date_key(text: str) -> str:
    """A comparable key for a date as written ("3–4 April 2019" == "3-4 April 2019")."""
    return re.sub(r"\s*-\s*", "-", fold(text)).replace(",", "")


def leading_date(text: str) -> tuple[str, str] | None:
    """("3-4 December 2019", rest) when `text` starts with a full date; else None."""
    m = DATE_RE.match(text)
    if not m or not re.search(r"\d{4}", m.group()) or not re.search(r"\d", m.group()[:2]):
        return None
    return m.group().strip(), text[m.end():].lstrip(" :–—-\u00a0")


def is_weekday_date(text: str) -> bool:
    """"Wednesday, February 01, 2017" alone: a header's today's date, not content."""
    m = DATE_RE.fullmatch(text.strip())
    return bool(m and _WEEKDAY_DATE_RE.match(text))


@dataclass(frozen=True)
class Figure:
    text: str  # as written
    key: str  # comparable value


def figures(text: str) -> list[Figure]:
    """Dates first, then numbers and amounts outside them, in reading order."""
    found: list[tuple[int, Figure]] = []
    taken: list[tuple[int, int]] = []
    for m in DATE_RE.finditer(text):
        if re.search(r"\d", m.group()):
            found.append((m.start(), Figure(m.group().strip(), date_key(m.group()))))
            taken.append(m.span())
    for m in FIGURE_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        raw = m.group().strip()
        key = re.sub(r"per\s?cent|percent", "%", raw.casefold())
        key = re.sub(r"[\s\u00a0\u202f]", "", key)
        key = re.sub(r"(?<=\d),(?=\d{3}\b)", "", key)
        found.append((m.start(), Figure(raw, key)))
    return [f for _, f in sorted(found, key=lambda p: p[0])]
