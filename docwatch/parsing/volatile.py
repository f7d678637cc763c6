"""Volatile lines: "Updated on: 2011.03.31", "Number of views (4099)", today's date. They are
recorded as the document's metadata, never compared as content.

Words of every language docwatch knows apply on every page: a German "Stand:" line is
volatile on an English page too.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable

from lxml import etree

from ..locales import all_volatile_words, alternation as _alt
from ..volatile_words import DATE_LABELS, VOLATILE_WORDS
from ..reading import DIGIT_RE, Reader
from ..text import clean, fold

UPDATED_WORDS, COUNTER_WORDS = all_volatile_words("updated"), all_volatile_words("views")
_COMMENTS, _VISITORS = all_volatile_words("comments"), all_volatile_words("visitors")
_SHARES = all_volatile_words("shares")
_RATING, _VOTES = all_volatile_words("rating"), all_volatile_words("votes")
# What an updated line may name before its words: "Duomenys atnaujinti", "This page was updated".
_SUBJECT = rf"(?:(?:{_alt(all_volatile_words('subjects'))})\s+(?:was\s+|were\s+)?)?"
UPDATED_RE = re.compile(
    rf"^[\W_]*{_SUBJECT}(?:{_alt(UPDATED_WORDS)})"
    r"(?:\s+(?:on|am|le|dnia|at))?\s*[:\-–]?\s*(.{0,60}?)[\s\W]*$", re.IGNORECASE)
# What may stand beside the date in an updated line: connectives and a clock time.
_UPDATED_REST_RE = re.compile(
    r"\b(?:\d{1,2}[:.]\d{2}(?::\d{2})?|on|am|um|at|à|le|o|d\.|val\.|uhr|h|godz\.|plkst\.|,|-)\b\.?",
    re.IGNORECASE)


def _hints(phrases) -> frozenset[str]:
    """The last word of each phrase (and its plural): a line with none of them is not one.
    The last, not the first: "number of views" needs "views", and "number" is in every
    register's lines."""
    last = {w for p in phrases for w in _HINT_WORD_RE.findall(p.split()[-1].casefold())}
    return frozenset(last | {w + "s" for w in last})


_HINT_WORD_RE = re.compile(r"[^\W\d_]{2,}")
UPDATED_HINTS = _hints(UPDATED_WORDS)
COUNTER_HINTS = _hints(COUNTER_WORDS + _COMMENTS + _VISITORS + _SHARES + _RATING)
# "viewed 12 times", "1203-mal gelesen", "Diese Seite wurde 12 mal aufgerufen"
_COUNT_TAILS = ("times", "kartų", "kartus", "kartą", "mal", "-mal", "fois", "razy", "reizes",
                "reizi", "mal aufgerufen", "mal gelesen", "-mal gelesen", "mal angesehen")
# Every word a counter line may hold: a line with any other word is content, whatever else
# it says ("the share is 3.5 %"), and is never run through the counter expressions.
COUNTER_VOCABULARY = frozenset(
    w for p in COUNTER_WORDS + _COMMENTS + _VISITORS + _SHARES + _COUNT_TAILS + _RATING + _VOTES
    for w in _HINT_WORD_RE.findall(p.casefold())) | {w + "s" for w in COUNTER_HINTS}
# Counters, wherever they sit in a short line ("Number of views (4099)/Comments (0)").
COUNTERS = (
    ("views", re.compile(
        rf"(?:{_alt(COUNTER_WORDS)})\s*[:(]?\s*(\d[\d\s,.]*)\)?(?:\s*(?:{_alt(_COUNT_TAILS)}))?"
        rf"|(\d[\d\s,.]*)\s*(?:(?:{_alt(_COUNT_TAILS)})\s*)?(?:{_alt(COUNTER_WORDS)})\b",
        re.IGNORECASE)),
    ("comments", re.compile(rf"(?:{_alt(_COMMENTS)})\s*[:(]\s*(\d+)\)?", re.IGNORECASE)),
    # A share widget's count: "Share (12)", "Dalintis: 4", "12 Likes".
    ("shares", re.compile(rf"(?:{_alt(_SHARES)})\s*[:(]\s*(\d+)\)?|(\d+)\s*(?:{_alt(_SHARES)})\b",
                          re.IGNORECASE)),
    # A reader's rating with its votes: "Rating: 4.4 (127 votes)", "Įvertinimas: 4,4/5". Votes
    # alone ("Votes: 71") may be a parliament's, and are content.
    ("rating", re.compile(
        rf"(?:{_alt(_RATING)})\s*:?\s*(\d(?:[.,]\d+)?)(?:\s*/\s*\d+)?"
        rf"(?:\s*\(?\s*\d[\d\s,.]*\s*(?:{_alt(_VOTES)})\s*\)?)?", re.IGNORECASE)),
    # "Visitors: 12", and labels of several such words: "Visitors today: 12", "Besucher heute: 3".
    ("visitors", re.compile(
        rf"(?:(?:{_alt(_VISITORS + COUNTER_WORDS)})s?\s*){{1,3}}[:\-]?\s*(\d[\d\s,.]*)"
        rf"(?:\s*(?:{_alt(_VISITORS)})\b)?",  # "Online: 15 users"
        re.IGNORECASE)),
)


def _words_of(*kinds: str) -> frozenset[str]:
    return frozenset(w for kind in kinds for p in all_volatile_words(kind)
                     for w in _HINT_WORD_RE.findall(p.casefold()))


#: Short lines that are only a count in their own words, and what it is recorded as: a
#: listing's ("Showing 1–10 of 1,234 results", "245 Treffer", "Rasta 12 įrašų": the items say
#: what changed), a pager's ("Page 2 of 11", "Puslapis 2 iš 11", "Photo 4 of 12"), a reading
#: time's ("Reading time: 4 min", "Lesezeit: 5 Minuten", which changes with the text it times)
#: and the server's time ("Page generated in 0.087 seconds").
#: Each: (metadata key, words one of which it holds, every word it may hold, most characters).
COUNT_LINES = (
    ("results", _words_of("results"), _words_of("results", "listing"), 80),
    ("page", _words_of("pager"), _words_of("pager", "listing"), 40),
    ("reading_time", _words_of("reading") - _words_of("minutes"),
     _words_of("reading", "minutes"), 40),
    ("generated_in", _words_of("generated"), _words_of("generated", "seconds", "subjects"), 60),
)
_COUNT_NOUNS = frozenset().union(*(nouns for _, nouns, _, _ in COUNT_LINES))
_COUNT_RE = re.compile(r"\d(?:[\d\s,.]*\d)?")
# A line that is only a clock time: "09:14", "14:05:33", "9:14 AM", "14:05 Uhr".
_CLOCK_LINE_RE = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[AaPp]\.?[Mm]\.?|Uhr|h|val\.|godz\.))?")
MAX_UPDATED_LINE = 200
MAX_AGE_LINE = 60  # "Posted 3 hours ago": a short line
MAX_AGE_TEXT = 2 * MAX_AGE_LINE  # a text holding one with its markup's spacing, at most
MAX_AGE_WORDS = 2  # words beside the relative time ("Posted", "Paskelbta", "Updated")
MAX_UPDATED_REST = 100  # characters after the date: a list of what changed, not a news item
#: Spaces in a line of dates ("Published: Friday, 5 December 2025 at 10:00 | Last updated:
#: Saturday, 6 December 2025 at 12:00" has 16); a longer line with more is a sentence.
MAX_DATES_SPACES = 24
# The words an updated line opens with, and a connective: "Last updated on", "Stand:".
UPDATED_HEAD_RE = re.compile(
    rf"^[\W_]*{_SUBJECT}(?:{_alt(UPDATED_WORDS)})"
    r"(?:\s+(?:on|am|le|dnia|at))?\s*[:\-–]?\s*", re.IGNORECASE)
# A clock time after a date, with its zone if given: "at 14:05", "um 7:56 Uhr", ISO 8601's
# "T09:12:05Z", "10:01 UTC".
_CLOCK_RE = re.compile(r"(?:T|\s*,?\s*(?:at|um|o|à|val\.|godz\.|plkst\.)?\s*)"
                       r"\d{1,2}[:.]\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Uhr|h|val\.))?"
                       r"(?:Z|[+-]\d{2}:?\d{2}|\s*(?:UTC|GMT|CET|CEST|EET|EEST)\b)?",
                       re.IGNORECASE)
# A heading's volatile part: "(updated 4/2/2024)", "– as of 2 April 2024", "[Stand: 02.04.2024]".
_AS_OF = all_volatile_words("as_of")
# A line that is only an as-of date: "Data as of 3 December 2026", "Datenstand: 03.12.2026".
# Never what follows it: "As of 1 January 2027, conscription lasts 12 months" is content.
_AS_OF_LINE_RE = re.compile(rf"^[\W_]*{_SUBJECT}(?:{_alt(_AS_OF)})\s*[:\-–]?\s*(.+?)[\s.]*$",
                            re.IGNORECASE)
_AS_OF_HINTS = frozenset(w for p in _AS_OF for w in _HINT_WORD_RE.findall(p.casefold()))
MAX_AS_OF_LINE = 80
HEADING_PART_RE = re.compile(
    rf"\s*(?:[(\[]\s*|\s[-–—,]\s*)(?P<words>(?:{_alt(UPDATED_WORDS + _AS_OF)})\b:?)"
    r"[^()\[\]]*[)\]]?\s*$", re.IGNORECASE)


def volatile(text: str, reader: Reader, metadata: dict[str, str]) -> bool:
    """Whether a line is volatile; if so, what it says goes to `metadata`."""
    # Every volatile line holds a figure: a count, a date, a time or an age.
    if len(text) > MAX_UPDATED_LINE or not DIGIT_RE.search(text):
        return False
    if len(text) > 100 and not UPDATED_HEAD_RE.match(text) and text.count(" ") > MAX_DATES_SPACES:
        return False  # only an updated line or a line of dates is this long: a sentence
    words = set(_HINT_WORD_RE.findall(text.casefold()))
    if len(text) <= MAX_AGE_LINE and not words.isdisjoint(reader.ago_hints) \
            and (age := _relative(text, reader.ago_re)):
        metadata["age"] = age
        return True
    if not words.isdisjoint(UPDATED_HINTS) and (
            when := updated_line(text, reader) or _dates_line(text, reader)):
        metadata["updated"] = when
        return True
    if len(text) <= MAX_AS_OF_LINE and not words.isdisjoint(_AS_OF_HINTS) \
            and (when := _as_of_line(text, reader)):
        metadata["updated"] = when
        return True
    if len(text) > 100:
        return False
    if reader.is_today_line(text):
        metadata["date"] = text
        return True
    if len(text) <= 14 and _CLOCK_LINE_RE.fullmatch(text):  # a clock: when it was served
        metadata["time"] = text
        return True
    for key, nouns, vocabulary, most in COUNT_LINES if not words.isdisjoint(_COUNT_NOUNS) else ():
        if len(text) <= most and not words.isdisjoint(nouns) and words <= vocabulary:
            metadata[key] = _COUNT_RE.findall(text)[-1]
            return True
    if words.isdisjoint(COUNTER_HINTS) or not words <= COUNTER_VOCABULARY:
        return False
    rest, found = text, {}
    for name, pattern in COUNTERS:
        if matches := list(pattern.finditer(rest)):
            found[name] = clean(next(g for g in matches[-1].groups() if g is not None))
            rest = pattern.sub("", rest)
    if found and not any(ch.isalnum() for ch in rest):
        metadata.update(found)
        return True
    return False


MAX_DATES_LINE_WORDS = 5  # "Publicēts: 05.12.2025. Atjaunināts: 07.12.2025." holds two


def _dates_line(text: str, reader: Reader) -> str | None:
    """A line of dates with their labels, one of them when the page was updated: "Published
    5 December 2025 | Updated 6 December 2025", "Publicēts: 05.12.2025. Atjaunināts:
    07.12.2025. 10:00". Its last date, else None."""
    dates = [m.group() for m in reader.dates(text)]
    if not dates or len(text) > MAX_UPDATED_LINE:
        return None
    rest = reader.undated(text)
    words = _HINT_WORD_RE.findall(rest.casefold())
    if DIGIT_RE.search(rest) or len(words) > MAX_DATES_LINE_WORDS \
            or not DATE_LABELS.issuperset(words):
        return None
    return dates[-1]


def _as_of_line(text: str, reader: Reader) -> str | None:
    """The date of a line that is only an as-of date ("Data as of 3 December 2026",
    "Datenstand: 03.12.2026", "Stan na dzień 3 grudnia 2026 r."), else None."""
    if not (m := _AS_OF_LINE_RE.match(text)) or not (when := _date_first(m.group(1), reader)):
        return None
    rest = m.group(1)
    rest = rest[rest.find(when) + len(when):]
    return None if re.search(r"[^\W_]{2,}", rest) else when


# What marks a time past in each language listed, with the space on its number's side (" ago",
# "prieš ", "vor "): content without one holds no relative time to cut (`cut_ages`).
_AGO_MARKERS = {code: words.get("ago", ()) for code, words in VOLATILE_WORDS.items()}
_SEPARATORS = " \t\n\xa0|·•–—-()[],"


@functools.lru_cache(maxsize=64)
def _ago_texts(markers: tuple[str, ...]) -> etree.XPath:
    """Short texts holding one of `markers` (in either case), found by libxml2."""
    words = " or ".join(f"contains(., {_literal(f(m.strip()))})" for m in markers
                        for f in (str.lower, str.capitalize))
    return etree.XPath(f".//text()[string-length() <= {MAX_AGE_TEXT}][{words}]")


def cut_ages(content, reader: Reader, metadata: dict[str, str], page: bytes | str) -> None:
    """Cut the times relative to the check ("2 hours ago", "prieš 3 val.", "vor 3 Stunden",
    "Yesterday, 14:05") that stand on their own in the content's text (a table cell, an item's last words after a
    dash, a <span>): they change with every check, never with the page. In running text
    ("visited Kyiv 3 days ago and met") they are the page's words and stay. `page`: the
    page's source, searched first (C-fast, where the tree is not)."""
    def day(text: str) -> str | None:  # "Visitors today: 780" is a counter's, not an item's
        return _relative(text.strip(_SEPARATORS), reader.day_re, DATE_LABELS)

    low = page.lower()  # one pass, where each marker's forms were each a pass
    markers = tuple(m for lang in reader.langs for m in _AGO_MARKERS.get(lang.code, ())
                    if _in_short_text(low, m)) + \
        tuple(form for lang in reader.langs for word in lang.days
              if any(_in_short_text(low, source, day) for source in _quoted(word, _IN_SOURCE))
              for form in _quoted(word, _IN_TEXT))
    if not markers:
        return
    for text in _ago_texts(markers)(content):
        if not (age := _relative(text.strip(_SEPARATORS), reader.ago_re) or day(text)):
            continue
        metadata.setdefault("age", age)
        holder = text.getparent()
        if text.is_tail:
            holder.tail = " "
        else:
            holder.text = ""


def _literal(text: str) -> str:
    """`text` as an XPath string ("aujourd'hui" is quoted with double quotes)."""
    return f'"{text}"' if "'" in text else f"'{text}'"


# How a page writes the apostrophe of "aujourd'hui": in its text, and in its source too.
_IN_TEXT = ("'", "’")
_IN_SOURCE = (*_IN_TEXT, "&#39;", "&#039;", "&#8217;", "&rsquo;")


def _quoted(word: str, quotes: tuple[str, ...]) -> set[str]:
    """A folded word with its apostrophe written each way of `quotes`."""
    return {word.replace("'", quote) for quote in quotes}


def _in_short_text(page: bytes | str, marker: str,
                   test: Callable[[str], object] | None = None) -> bool:
    """Whether `marker` is in the page's source, lower-cased, as a word of its own, in a
    text (between a ">" and a "<") no longer than an age's line: the only place a time
    stands alone ("Vakarų" holds no "vakar"); with `test`, a text it holds true of."""
    opens, closes = (b"<", b">") if isinstance(page, bytes) else ("<", ">")
    # Where the marker ends (or begins) with its word, not a space, no letter may follow it.
    after, before = marker[-1:].isalnum(), marker[:1].isalnum()
    # bytes.lower() lowers ASCII only: "Šiandien" is looked for as written too.
    forms = {marker} if isinstance(page, str) or marker[:1].isascii() else \
        {marker, marker.capitalize()}
    for form in forms:
        word = form.encode() if isinstance(page, bytes) else form
        at = page.find(word)
        while at >= 0:
            end = page.find(opens, at)
            end = len(page) if end < 0 else end
            start = page.rfind(closes, 0, at) + 1
            if end - start < MAX_AGE_TEXT \
                    and not (after and _letter(page[at + len(word):at + len(word) + 1])) \
                    and not (before and at and _letter(page[at - 1:at])) \
                    and (test is None or test(_decoded(page[start:end]))):
                return True
            at = page.find(word, at + 1)
    return False


def _decoded(text: bytes | str) -> str:
    """A text of the page's source as its words: "Aujourd&#8217;hui" is "Aujourd’hui"."""
    return html.unescape(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)


def _letter(char: bytes | str) -> bool:
    """Whether a character of a page's source (a byte of its UTF-8: any beyond ASCII may
    begin a letter) is part of a word."""
    if isinstance(char, bytes):
        return bool(char) and (char.isalnum() or char[0] >= 0x80)
    return char.isalnum()


def _relative(text: str, pattern: re.Pattern, labels: frozenset[str] | None = None,
              ) -> str | None:
    """A time relative to the check, `pattern`'s ("Posted 3 hours ago", "Paskelbta prieš 2
    dienas", "vor 3 Stunden"; "Today, 14:05", "Vakar 09:00"), with at most two words beside
    it and no figure; only date `labels`, if given: "Yesterday's meeting" or "Today: minister
    resigns" are the page's words."""
    folded = fold(text)
    if not (m := pattern.search(folded)):
        return None
    rest = pattern.sub(" ", folded)
    words = _HINT_WORD_RE.findall(rest)
    if DIGIT_RE.search(rest) or len(words) > MAX_AGE_WORDS or labels is not None and (
            "'" in rest or not labels.issuperset(words)):
        return None
    return m.group()


def _date_first(rest: str, reader: Reader) -> str | None:
    """The date (and clock time) `rest` opens with, after connectives at most."""
    d = next(reader.dates(rest), None)
    if d is None or _UPDATED_REST_RE.sub(" ", rest[:d.start()]).strip(" :-–—,.("):
        return None
    time = _CLOCK_RE.match(rest, d.end())
    return clean(rest[d.start():time.end() if time else d.end()])


def heading_part(heading: str, reader: Reader) -> tuple[str, str | None]:
    """A heading without its volatile part, and that part's date: "Forms 500–999 (updated
    4/2/2024)" is ("Forms 500–999", "4/2/2024"); the part names no section."""
    m = HEADING_PART_RE.search(heading)
    if not m or not m.start() or not DIGIT_RE.search(m.group()):
        return heading, None
    rest = heading[m.end("words"):]
    when = _date_first(rest, reader) or clean(rest.strip(" :)]"))
    return clean(heading[:m.start()]), when


def page_metadata(root, metadata: dict[str, str], reader: Reader) -> None:
    """An "Updated on" line is worth recording even where it sits in the footer."""
    # Only lines short enough to be one are searched: most of a page's text is its passages.
    text = "\n".join(_short_lines(root.xpath("//text()")))
    starts = {text.rfind("\n", 0, at) + 1 for at in _occurrences(text, reader.updated_forms)}
    for start in sorted(starts):  # in the page's order
        end = text.find("\n", start)
        line = text[start:len(text) if end < 0 else end].strip()
        if 6 < len(line) <= MAX_UPDATED_LINE and (when := updated_line(line, reader)):
            metadata.setdefault("updated", when)
            return


def _short_lines(texts: list[str]):
    for text in texts:
        if _short(text):
            yield text
        elif "\n" in text:
            yield from filter(_short, text.split("\n"))


def _short(line: str) -> bool:  # stripped only when long: most text nodes are short
    return len(line) <= MAX_UPDATED_LINE or len(line.strip()) <= MAX_UPDATED_LINE


def _occurrences(text: str, words: tuple[str, ...]) -> set[int]:
    found = set()
    for word in words:
        at = text.find(word)
        while at >= 0:
            found.add(at)
            at = text.find(word, at + len(word))
    return found


def updated_line(line: str, reader: Reader) -> str | None:
    """The date of an "Updated on …" line ("Atnaujinta: 2023-07-03", "Zuletzt aktualisiert am
    19.11.2025 um 07:56 Uhr"); None when it is not one ("Updated guidance for schools").

    A line that opens with the words and a date is one whatever follows the date ("Last
    updated 3 March 2025 at 14:05, latest changes: Visas; Contacts"): what a site lists as
    changed is the site's own log, not the page's content."""
    if (m := UPDATED_HEAD_RE.match(line)) and (when := _date_first(line[m.end():], reader)) \
            and len(line) - m.end() - len(when) <= MAX_UPDATED_REST:
        return when
    m = UPDATED_RE.match(line)
    if not m or len(line) > 100:
        return None
    when = clean(m.group(1))
    rest = when
    for d in reversed(list(reader.dates(when))):
        rest = rest[:d.start()] + " " + rest[d.end():]
    if rest == when and not re.match(r"\d", when):
        return None  # no date: "Updated guidance for schools"
    # Beside the date only connectives and a clock time: "am … um 07:56 Uhr".
    return None if re.search(r"[^\W\d_]{2,}", _UPDATED_REST_RE.sub(" ", rest)) else when

