"""What a language writes: month and weekday names, date patterns, number symbols, units.

Everything CLDR has comes from Babel's copy of CLDR (month names in their format and
stand-alone forms, abbreviations, the locale's date and time patterns, decimal and group
symbols, scale words such as "mln." or "Mrd.", currency names, byte units, "per cent",
the word for "today"), so a language Babel knows is read without code of its own. What
CLDR does not have (the words of "Updated on" and view-counter lines) is a short list per
language in `volatile_words`; add a language there to have its volatile lines recognised.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from .text import fold
from .volatile_words import PERCENT_EXTRA, VOLATILE_WORDS

#: The Latin-script languages a page is checked against besides its own.
ALWAYS = "en"

_PATTERN_TOKEN_RE = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.DOTALL)
_DASH = r"\s*[-–—]\s*"


@dataclass(frozen=True)
class Language:
    """The CLDR facts docwatch reads one language by."""

    code: str
    months: dict[str, int]  # every folded name, abbreviation and stem → month number
    weekdays: tuple[str, ...]  # folded weekday names, wide and abbreviated
    date_patterns: tuple[str, ...]  # regex sources made from the locale's date patterns
    decimal: str
    group: str
    scales: dict[str, str]  # folded scale word → "e6" / "e9"
    currencies: dict[str, str]  # folded currency word or symbol → ISO code
    sizes: dict[str, str]  # folded byte unit → canonical unit
    percent: tuple[str, ...]
    clock_words: tuple[str, ...]  # "Uhr": a word after a clock time, from the "H" pattern
    today: tuple[str, ...]  # "heute", "šiandien": CLDR's relative day 0, and "printed on"
    ago: tuple[str, ...]  # "prieš {0} valandas" as regex sources: CLDR's past relative times
    days: tuple[str, ...]  # "šiandien", "gestern": CLDR's today and yesterday, folded
    updated_words: tuple[str, ...]
    counter_words: tuple[str, ...]


def code_of(lang: str | None) -> str:
    """"lt-LT", "de_DE", "LT" → "lt"; "" or None → English."""
    return re.split(r"[-_]", (lang or "").strip().lower())[0] or ALWAYS


def known_language(lang: str) -> bool:
    """True when CLDR has data for the language of `lang` ("lt", "de-AT")."""
    try:
        Locale.parse(code_of(lang))
    except (UnknownLocaleError, ValueError):
        return False
    return bool(re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", lang.strip()))


@functools.cache
def language(code: str) -> Language:
    """The `Language` for an ISO 639 code; an unknown code reads as English."""
    try:
        loc = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        loc, code = Locale.parse(ALWAYS), ALWAYS
    months = _months(loc)
    words = VOLATILE_WORDS.get(code, {})
    return Language(
        code=code,
        months=months,
        weekdays=tuple({_fold(n) for kind in ("wide", "abbreviated")
                        for ctx in ("format", "stand-alone")
                        for n in loc.days[ctx][kind].values()}),
        date_patterns=tuple(_date_patterns(loc)),
        decimal=loc.number_symbols.get("latn", {}).get("decimal", "."),
        group=loc.number_symbols.get("latn", {}).get("group", ","),
        scales=_scales(loc),
        currencies=_currencies(loc),
        sizes=_sizes(loc),
        percent=tuple(sorted({_fold(w) for w in _unit_words(loc, "concentr-percent")}
                             | set(PERCENT_EXTRA) | {"%"}, key=len, reverse=True)),
        clock_words=tuple(_clock_words(loc)),
        today=tuple(sorted({_fold(w) for w in _today(loc)} | set(words.get("today", ())),
                           key=len, reverse=True)),
        ago=tuple(_ago(loc)),
        days=tuple(sorted({fold(w) for w in _days(loc)}, key=len, reverse=True)),
        updated_words=words.get("updated", ()),
        counter_words=words.get("views", ()),
    )


def all_volatile_words(kind: str) -> tuple[str, ...]:
    """The words of one kind of volatile line ("updated", "views", "comments", "visitors",
    "results" and the "listing" words beside them, a pager's "page", a "reading" time and its
    "minutes", a page "generated" in so many "seconds", a "rating" and its "votes"), of a
    heading of the most read items ("popular") or of a badge ("new"), of what an updated line
    names first ("subjects") or of an as-of line ("as_of"), a link's "read more" ("more"), or
    what marks a time past ("ago": with the space on the side of its number), in every
    language listed, longest first."""
    words = {w for lang in VOLATILE_WORDS.values() for w in lang.get(kind, ())}
    return tuple(sorted(words, key=len, reverse=True))


# --- reading CLDR -------------------------------------------------------------------------


def _fold(word: str) -> str:
    return word.casefold().replace("\u202f", " ").replace("\xa0", " ").strip()


def alternation(words) -> str:
    """A regex alternation, longest first so "March" is tried before "Mar"; never empty."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in
                    sorted({w for w in words if w}, key=len, reverse=True)) or "(?!)"


def _months(loc: Locale) -> dict[str, int]:
    """Names in format (genitive) and stand-alone forms, abbreviations, and a stem per month
    for the inflected forms CLDR does not list (Latvian "jūlijā", Polish "lipcu")."""
    out: dict[str, int] = {}
    for month in range(1, 13):
        wide = [_fold(loc.months[ctx]["wide"][month]) for ctx in ("format", "stand-alone")]
        for ctx in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                name = _fold(loc.months[ctx][width][month])
                out.setdefault(name, month)
                out.setdefault(name.rstrip("."), month)
        stem = os.path.commonprefix(wide)
        stem = stem[:max(4, min(len(stem), min(map(len, wide)) - 2))]
        out.setdefault(stem, month)
    return out


def _date_patterns(loc: Locale) -> list[str]:
    patterns = [loc.date_formats[f].pattern for f in ("full", "long", "medium", "short")]
    patterns += [loc.datetime_skeletons[k].pattern for k in
                 ("yMMMMEEEEd", "yMMMMd", "yMMMd", "yMd", "yMMMM", "yMMM")
                 if k in loc.datetime_skeletons]
    patterns += ["y-MM-dd", "y.MM.dd", "dd.MM.y", "d. MMMM y"]
    out: list[str] = []
    for p in patterns:
        rx = _pattern_regex(p)
        if rx and rx not in out:
            out.append(rx)
    return out


def _pattern_regex(pattern: str) -> str | None:
    """A CLDR date pattern ("y 'm'. MMMM d 'd'.", "d. MMMM y") as a regex source; day
    fields take ranges ("11–12", "3.–4."). None for patterns without a year and a month."""
    tokens = [m.group() for m in _PATTERN_TOKEN_RE.finditer(pattern)]
    fields = [t[0] for t in tokens if t[0].isalpha() and not t.startswith("'")]
    if "y" not in fields or not ({"M", "L"} & set(fields)):
        return None
    out: list[str] = []
    for k, tok in enumerate(tokens):
        letter = tok[0]
        if tok.startswith("'"):
            lit = tok[1:-1].replace("''", "'") if len(tok) > 1 else "'"
            out.append(re.escape(lit) if lit.strip() else r"\s*")
        elif letter == "y":
            out.append(r"\d{4}")
        elif letter in "ML":
            out.append(r"\d{1,2}" if len(tok) <= 2 else "(?:MONTH)")
        elif letter == "d":
            out.append(rf"\d{{1,2}}(?:\.?{_DASH}\d{{1,2}}(?!\d))?")
        elif letter in "Ec":
            out.append("(?:WEEKDAY)")
        elif letter.isalpha():
            return None  # eras, quarters, …: not a date ministries write
        elif tok.isspace():
            out.append(r"\s*")
        elif tok == ".":
            # Between two numbers the dot is what makes "19.11.2025" a date; after a word it
            # is often dropped ("2023 m liepos").
            between = 0 < k < len(tokens) - 1 and _numeric(tokens[k - 1]) and _numeric(tokens[k + 1])
            out.append(r"\." if between else r"\.?")
        elif tok == ",":
            out.append(",?")
        else:
            out.append(re.escape(tok))
    return re.sub(r"(?:\\s\*)+", r"\\s*", "".join(out))


def _numeric(token: str) -> bool:
    """A pattern field written in digits: the year, or a day or month of one or two digits."""
    return token[0] == "y" or token[0] in "MLd" and len(token) <= 2


def _unit_words(loc: Locale, unit: str, width: str = "long") -> set[str]:
    patterns = loc._data["unit_patterns"].get(unit, {}).get(width, {})
    return {p.replace("{0}", "").strip(" \u202f\xa0") for k, p in patterns.items() if k != "per"}


def _scales(loc: Locale) -> dict[str, str]:
    out = {"million": "e6", "millions": "e6", "billion": "e9", "billions": "e9", "bn": "e9",
           "mn": "e6"}
    for width in ("short", "long"):
        for plural in loc.compact_decimal_formats.get(width, {}).values():
            for magnitude, pattern in plural.items():
                if magnitude in ("1000000", "1000000000"):
                    word = re.sub(r"[0#]", "", str(getattr(pattern, "pattern", pattern)))
                    word = _fold(word.replace("'", ""))
                    if len(word) >= 2:  # not French "M", which is too short to trust
                        out[word] = "e6" if magnitude == "1000000" else "e9"
    return out


def _currencies(loc: Locale) -> dict[str, str]:
    out = {"€": "EUR", "eur": "EUR", "$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP",
           "euro": "EUR", "euros": "EUR", "dollars": "USD"}
    for code in ("EUR", "USD"):
        names = {loc.currencies.get(code, ""), loc.currency_symbols.get(code, "")}
        names |= set(loc._data["currency_names_plural"].get(code, {}).values())
        for name in names:
            if name and not any(ch.isdigit() for ch in name):
                out.setdefault(_fold(name), code)
    return out


def _sizes(loc: Locale) -> dict[str, str]:
    out = {"kb": "kB", "mb": "MB", "gb": "GB", "tb": "TB"}
    for unit, canonical in (("digital-kilobyte", "kB"), ("digital-megabyte", "MB"),
                            ("digital-gigabyte", "GB")):
        for word in _unit_words(loc, unit, "short"):
            out.setdefault(_fold(word), canonical)
    return out


def _clock_words(loc: Locale) -> list[str]:
    """German "HH 'Uhr'": the quoted word of the locale's hour pattern, if it has one."""
    out = []
    for key in ("H", "Hm"):
        if key in loc.datetime_skeletons:
            out += [t[1:-1] for m in _PATTERN_TOKEN_RE.finditer(loc.datetime_skeletons[key].pattern)
                    if (t := m.group()).startswith("'") and len(t) > 2]
    out += _unit_words(loc, "duration-hour", "short")  # "val.", "Std.", "h"
    return sorted({w for w in out if w and "/" not in w}, key=len, reverse=True)


_TIME_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")


def _ago(loc: Locale) -> list[str]:
    """Regex sources of how the language says a time past ("3 hours ago", "prieš 3 valandas",
    "vor 3 Stunden", "il y a 3 h", "yesterday"), from CLDR's relative date fields."""
    fields = loc._data["date_fields"]
    out: set[str] = set()
    for unit in _TIME_UNITS:
        for width in ("", "-short", "-narrow"):
            field = fields.get(unit + width, {})
            for pattern in field.get("past", {}).values():
                source = re.escape(_fold(pattern)).replace(r"\{0\}", r"\d+")
                out.add(re.sub(r"(?:\\ |\s|\u00a0|\\\xa0)+", r"\\s*", source))
    return sorted(out, key=len, reverse=True)


def _days(loc: Locale) -> list[str]:
    """The words for today and yesterday ("šiandien", "vakar"): what a list of news writes in
    place of its newest items' dates. (Each is one more search of every page's source.)"""
    relative = loc._data["date_fields"].get("day", {}).get("relative", {})
    return [relative[k] for k in (0, -1) if k in relative]


def _today(loc: Locale) -> list[str]:
    day = loc._data["date_fields"].get("day", {})
    word = day.get("relative", {}).get(0)
    return [word] if word else []
