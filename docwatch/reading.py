"""Dates and figures as a page's language writes them: "2023 m. liepos 11–12 d.",
"3.–4. Juni 2024", "2,5 proc.", "1,2 Mrd. Euro", "637 kB", "15 Uhr".

A `Reader` is made once per language (`reader("lt")`) and reads the page's language and
English, which ministries mix in. Dates keep the text as written for display and give an
ISO form ("2023-07-11/2023-07-12") for keys and queries; figures keep their unit, and two
figures are equal when their value and unit are (so "2.5 %" and "2,5 proc." are one figure).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .locales import ALWAYS, Language, alternation as _alt, code_of, language
from .text import fold

_MONTHS_EN = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_WEEKDAY_EN = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)"
_DASH = r"\s*[-–—]\s*"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DAY_RANGE = rf"{_DAY}(?:{_DASH}{_DAY})?"
_MONTH = rf"(?:{_MONTHS_EN})\.?"
#: English as ministries write it: "17 November 1990", "3-4 April 2019", "29March 2014",
#: "30 November - 1 December 2023", "June 28, 1969", "2011.03.31", "31.03.2011", "April 2023".
_ENGLISH_DATES = rf"""(?:{_WEEKDAY_EN}?(?:
        {_DAY}\s*{_MONTH}{_DASH}{_DAY}\s*{_MONTH}\s+\d{{4}}
      | {_DAY_RANGE}\s*{_MONTH},?\s+\d{{4}}
      | {_MONTH}\s+{_DAY_RANGE},?\s+\d{{4}}
      | \d{{4}}[.\-/]\d{{1,2}}[.\-/]\d{{1,2}}
      | \d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}
      | {_MONTH}\s+\d{{4}}
    ))"""
_NUMBER = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?![\d])(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)")
DIGIT_RE = re.compile(r"\d")  # every date docwatch reads is written with one
_CLOCK_RE = re.compile(r"\b\d{1,2}(?:[:.]\d{2}(?::\d{2})?|h\d{2})\b")  # "16:40", "14h05"
_WORD_RE = re.compile(r"[^\W\d_]+\.?")
_YMD_RE = re.compile(r"(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})")
_DMY_RE = re.compile(r"(\d{1,2})([./-])(\d{1,2})[./-](\d{4})")


@dataclass(frozen=True)
class Figure:
    text: str  # as written, unit included: "2,5 proc."
    key: str  # value and unit, comparable across spellings: "2.5 %"
    iso: str | None = None  # dates: "2023-07-11", "2023-07-11/2023-07-12", "2023-04"


@functools.cache
def reader(lang: str | None = None) -> Reader:
    """The reader for a page in `lang` ("lt", "de-DE", None for English)."""
    return Reader(code_of(lang))


class Reader:
    """Finds and reads dates and figures in one language and English."""

    def __init__(self, code: str):
        self.lang = language(code)
        self.langs = (self.lang,) if code == ALWAYS else (self.lang, language(ALWAYS))
        own = [p.replace("MONTH", self._month_re(self.lang))
               .replace("WEEKDAY", _alt(self.lang.weekdays))
               for p in self.lang.date_patterns] if code != ALWAYS else []
        # The page's own patterns first and longest first: an alternation takes the first
        # that matches, and "d. MMMM y" must win over "MMMM y".
        own.sort(key=len, reverse=True)
        starts = sorted({w[:3] for lang in self.langs for w in lang.months if len(w) >= 3}
                        | {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
                        | {w[:3] for w in self.lang.weekdays})
        body = "|".join([*own, _ENGLISH_DATES])
        self.date_re = re.compile(
            # Not inside a word; ISO 8601's time may follow ("2026-12-04T09:12:05Z").
            rf"(?<![\w.])(?=\d|{'|'.join(map(re.escape, starts))})(?:{body})(?!(?!T\d)\w)",
            re.VERBOSE | re.IGNORECASE)
        # "3 hours ago", "prieš 3 valandas", "yesterday": a time relative to the check's own
        self.ago_re = re.compile(
            rf"(?<!\w)(?:{'|'.join(sorted({a for lang in self.langs for a in lang.ago}, key=len, reverse=True))})(?!\w)",
            re.IGNORECASE)
        self.ago_hints = frozenset(w for lang in self.langs for a in lang.ago
                                   for w in re.findall(r"[^\W\d_]{2,}", a.replace(r"\s", " ")))
        # "yesterday, 14:05", "vakar 09:00", "hier à 14h05": a day named relative to the check's
        self.day_re = re.compile(
            rf"(?<!\w)(?:{_alt({d for lang in self.langs for d in lang.days})})(?!\w)"
            r"(?:\s*,?\s*(?:at|um|o|à|val\.|godz\.|plkst\.)?\s*"
            r"\d{1,2}[:.h]\d{2}(?::\d{2})?(?:\s*(?:uhr|val\.?|h)(?!\w))?)?",
            re.IGNORECASE)
        self._weekday_re = re.compile(
            rf"(?<!\w)(?:{_alt({w for lang in self.langs for w in lang.weekdays})})(?!\w)",
            re.IGNORECASE)
        self._scales = {w: s for lang in self.langs for w, s in lang.scales.items()}
        self._units = {**{w: "%" for lang in self.langs for w in lang.percent},
                       **{w: c for lang in self.langs for w, c in lang.currencies.items()},
                       **{w: s for lang in self.langs for w, s in lang.sizes.items()}}
        self.figure_re = self._figure_re()
        self._isos: dict[str, str | None] = {}
        # What finds "Updated on" lines in a page, in this language and English: the words,
        # none that another contains ("updated" finds "last updated" too), as a page writes
        # them. From their second letter, one form finds "updated" and "Updated": a str.find
        # costs a page a tenth of lower-casing it, and a line found is then read whole.
        words = {w for lang in self.langs for w in lang.updated_words}
        words = {w for w in words if not any(o != w and o in w for o in words)}
        self.updated_forms = tuple(sorted({f for w in words
                                           for f in (w[1:], w.title()[1:], w.upper())}))

    @staticmethod
    def _month_re(lang: Language) -> str:
        # Any month word may carry an inflection CLDR does not list ("jūlijā", "lipcu").
        return rf"(?:{_alt(lang.months)})\w{{0,4}}\.?"

    # --- dates ----------------------------------------------------------------------------
    def leading_date(self, text: str) -> tuple[str, str] | None:
        """("2023 m. liepos 11–12 d.", rest) when `text` opens with a full date; else None."""
        if not DIGIT_RE.search(text, 0, 2):  # most passages: the date expression is not tried
            return None
        m = self.date_re.match(text)
        if not m or not _YEAR_RE.search(m.group()):
            return None
        return m.group().strip(), text[m.end():].lstrip(" :–—-,\u00a0")

    def undated(self, text: str) -> str:
        """`text` without its dates and clock times ("Posted on 3 December 2026 at 16:40" is
        "Posted on   at  "): what is said beside them."""
        return _CLOCK_RE.sub(" ", self.date_re.sub(" ", text))

    def dates(self, text: str):
        """Every date in `text`, as regex matches."""
        return (m for m in self.date_re.finditer(text) if DIGIT_RE.search(m.group()))

    def is_today_line(self, text: str) -> bool:
        """"Wednesday, February 01, 2017", "Freitag, 28. November 2026", "Šiandien 2026-11-28"
        alone on a line: a header's today's date, not content."""
        text = text.strip()
        if len(text) > 80:
            return False
        if text[:1].isalpha():
            low = fold(text)
            for lang in self.langs:
                for word in lang.today:
                    if low.startswith(word):
                        text = text[len(word):].lstrip(" :,")
                        return bool(self.date_re.fullmatch(text))
        return bool(self.date_re.fullmatch(text) and self._weekday_re.search(text))

    def iso(self, date: str) -> str | None:
        """"11–12 July 2023" → "2023-07-11/2023-07-12"; "April 2023" → "2023-04"."""
        if date not in self._isos:
            if len(self._isos) > 4096:  # entry dates repeat on every check; stray ones do not
                self._isos.clear()
            self._isos[date] = self._read_iso(date)
        return self._isos[date]

    def _read_iso(self, date: str) -> str | None:
        years = _YEAR_RE.findall(date)
        if not years:
            return None
        if m := _YMD_RE.search(date):
            return _iso(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY_RE.search(date):
            a, b = int(m[1]), int(m[3])
            us = m[2] == "/" and self.lang.code == ALWAYS and a <= 12
            return _iso(int(m[4]), a, b) if us else _iso(int(m[4]), b, a)
        months = [n for w in _WORD_RE.findall(date) if (n := self.month_of(w))]
        if not months:
            return None
        rest = _YEAR_RE.sub(" ", date)
        days = [int(d) for d in re.findall(r"(?<!\d)\d{1,2}(?!\d)", rest)]
        year = int(years[-1])
        if not days:
            return _iso(year, months[0])
        start = _iso(int(years[0]), months[0], days[0])
        if len(days) > 1:
            end = _iso(year, months[-1], days[1])
            return f"{start}/{end}" if start and end and end > start else start
        return start

    def date_key(self, date: str) -> str:
        """A comparable key for a date, however written: its ISO form when it has one."""
        return self.iso(date) or re.sub(r"\s*-\s*", "-", fold(date)).replace(",", "")

    def month_of(self, word: str) -> int | None:
        """The month a word names in the reader's languages (an inflected form too), or None."""
        w = word.casefold().rstrip(".")
        for lang in self.langs:
            if w in lang.months:
                return lang.months[w]
        for lang in self.langs:
            for stem, month in lang.months.items():
                if len(stem) >= 3 and w.startswith(stem) and len(w) - len(stem) <= 4:
                    return month
        return None

    # --- figures --------------------------------------------------------------------------
    def _figure_re(self) -> re.Pattern:
        """Times, and numbers with their scale and unit words (`_scales`, `_units`)."""
        scales, units = set(self._scales), set(self._units)
        clock = {fold(w) for lang in self.langs for w in lang.clock_words}
        end = r"(?![^\W\d_])"
        return re.compile(
            rf"""(?<![\w.,])(?=[\d$€£]|USD|EUR)(?:
              (?P<hh>\d{{1,2}})(?::(?P<mm>\d{{2}})(?::\d{{2}})?(?:\s?(?:{_alt(clock | {"a.m.", "p.m.", "am", "pm"})}){end})?
                             |h(?P<fmm>\d{{2}})(?!\d)
                             |(?:[.:](?P<dmm>\d{{2}}))?\s?(?:{_alt(clock)}){end})
            | (?P<pre>[$€£]|USD|EUR)?\s?(?P<n>{_NUMBER})(?:\s?[-–]\s?(?P<n2>{_NUMBER}))?
              (?:\s?(?P<scale>{_alt(scales)}){end})?
              (?:\s?(?:(?<=[^\W\d_])\s?(?:de\s|d['’]))?(?P<unit>{_alt(units)}){end})?
            )""",
            re.VERBOSE | re.IGNORECASE)

    def figures(self, text: str) -> list[Figure]:
        """Dates first, then times, numbers and amounts outside them, in reading order."""
        found: list[tuple[int, Figure]] = []
        taken: list[tuple[int, int]] = []
        for m in self.dates(text):
            raw = m.group().strip()
            iso = self.iso(raw)
            found.append((m.start(), Figure(raw, iso or self.date_key(raw), iso)))
            taken.append(m.span())
        for m in self.figure_re.finditer(text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            raw = m.group().strip()
            if raw and raw[-1] in " -–":
                raw = raw.rstrip(" -–")
            found.append((m.start(), Figure(raw, self._figure_key(m))))
        return [f for _, f in sorted(found, key=lambda p: p[0])]

    def _figure_key(self, m: re.Match) -> str:
        if m["hh"] is not None:
            minutes = m["mm"] or m["fmm"] or m["dmm"] or "00"
            return f"{int(m['hh']):02d}:{minutes}"
        value = self._number(m["n"])
        if m["n2"]:
            value += "-" + self._number(m["n2"])
        scale, unit, pre = (fold(m[g]) if m[g] else "" for g in ("scale", "unit", "pre"))
        scale = self._scales.get(scale, "") if scale else ""
        if scale:  # "2.5 billion" and "2,500 million" are one amount
            value, scale = "-".join(_scaled(v, scale) for v in value.split("-")), ""
        unit = self._units.get(unit, unit)
        pre = self._units.get(pre, "") if pre else ""
        return " ".join(p for p in (value + scale, unit or pre) if p)

    def _number(self, text: str) -> str:
        """The value of "2,5", "4,800", "1.234.567", "15 000" read by the page's conventions."""
        digits = re.sub(r"[\s\u00a0\u202f]", "", text)
        seps = [ch for ch in digits if ch in ",."]
        if len(set(seps)) == 2:  # "1.234,5" or "1,234.5": the last one is the decimal mark
            dec = seps[-1]
            digits = digits.replace("." if dec == "," else ",", "").replace(dec, ".")
        elif seps:
            sep = seps[0]
            grouped = len(seps) > 1 or (re.search(rf"\{sep}\d{{3}}$", digits)
                                        and sep != self.lang.decimal)
            digits = digits.replace(sep, "") if grouped else digits.replace(sep, ".")
        try:
            return format(Decimal(digits).normalize(), "f")
        except InvalidOperation:
            return digits


def _scaled(value: str, scale: str) -> str:
    """A value times its scale ("e9"), written out: "2.5", "e9" → "2500000000"."""
    try:
        return format((Decimal(value) * Decimal("1" + scale)).normalize(), "f")
    except InvalidOperation:
        return value + scale


def _iso(year: int, month: int, day: int | None = None) -> str | None:
    if not 1 <= month <= 12 or day is not None and not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")
