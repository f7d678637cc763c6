"""The words an analyst follows: terms matched against a change's passage, as the page writes
them ("Ukrain*" finds "Ukrainos", "Ukrainai" and "Ukraine"; "lodz" finds "Łódź").

A term is what a search box takes: words that must all be there (`NATO summit`), a phrase in
quotes (`"Vilnius summit"`), a stem ending in `*` (`Ukrain*`), `OR` between alternatives and
`NOT` before what must not be there. A change matches a list of terms when one of them is found
in its old text, its new text or its section path. Case and diacritics never count, in any
language: text is compared in its compatibility decomposition without marks, lower-cased, and a
letter drawn with a stroke or a bar ("ł", "ø", "đ") as its base letter, read from its Unicode
name, so no language needs code of its own. Pure: strings in, a verdict out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .models import Change

HELP = ('a term is words (NATO summit), "an exact phrase", a stem (Ukrain*), A OR B, or '
        "NATO NOT Russia")
_TOKEN_RE = re.compile(r'"[^"]*"|[^\s"]+|"')
_WORD_RE = re.compile(r"[^\W_]+")


class BadTerm(ValueError):
    """A term that means nothing; its message names it and says why."""


@functools.lru_cache(maxsize=2048)
def _base(ch: str) -> str:
    """A letter without what Unicode draws through it: "ł" is "l", "ø" is "o"."""
    name = unicodedata.name(ch, "")
    if " WITH " not in name:
        return ch
    try:
        return unicodedata.lookup(name.split(" WITH ")[0])
    except KeyError:
        return ch


def words(text: str) -> list[str]:
    """The words of `text` as terms are matched: no case, no marks."""
    if text.isascii():  # most passages of most pages: nothing to decompose, letter by letter
        return _WORD_RE.findall(text.casefold())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(_base(ch) if ord(ch) > 0x7F else ch for ch in decomposed
                    if not unicodedata.combining(ch))
    return _WORD_RE.findall(plain.casefold())


# A piece is one word or a phrase: (word, is_stem) pairs that must stand one after another.
Piece = tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class _Alternative:
    wanted: tuple[Piece, ...]
    unwanted: tuple[Piece, ...]


@dataclass(frozen=True)
class Term:
    """One term, parsed: any of its alternatives, each all its pieces and none it excludes."""

    text: str
    alternatives: tuple[_Alternative, ...]

    def found_in(self, text_words: list[str]) -> bool:
        return any(all(_has(text_words, p) for p in alt.wanted)
                   and not any(_has(text_words, p) for p in alt.unwanted)
                   for alt in self.alternatives)


def _has(text_words: list[str], piece: Piece) -> bool:
    n = len(piece)
    for i in range(len(text_words) - n + 1):
        if all(text_words[i + k].startswith(w) if stem else text_words[i + k] == w
               for k, (w, stem) in enumerate(piece)):
            return True
    return False


def parse_term(text: str) -> Term:
    """A term as typed; `BadTerm` saying what is wrong with it."""
    tokens = _TOKEN_RE.findall(text)
    if '"' in tokens:
        raise BadTerm(f"{text!r}: a quote is not closed ({HELP})")
    alternatives, wanted, unwanted, negate = [], [], [], False
    for i, token in enumerate(tokens):
        if token in ("OR", "NOT", "AND"):
            if i == 0 or i == len(tokens) - 1 or tokens[i + 1] in ("OR", "NOT", "AND") \
                    or token == "NOT" and negate:
                raise BadTerm(f"{text!r}: {token} needs a word on each side ({HELP})")
            if token == "OR":
                alternatives.append(_alternative(text, wanted, unwanted))
                wanted, unwanted = [], []
            negate = token == "NOT"
            continue
        piece = _piece(text, token)
        if piece:
            (unwanted if negate else wanted).append(piece)
        negate = False
    alternatives.append(_alternative(text, wanted, unwanted))
    return Term(text, tuple(alternatives))


def _alternative(text: str, wanted: list[Piece], unwanted: list[Piece]) -> _Alternative:
    if not wanted:
        raise BadTerm(f"{text!r}: no word to look for ({HELP})")
    return _Alternative(tuple(wanted), tuple(unwanted))


def _piece(text: str, token: str) -> Piece:
    phrase = token.startswith('"')
    raw = token.strip('"').split() if phrase else [token]
    out = []
    for k, part in enumerate(raw):
        stem = part.endswith("*")
        found = words(part.rstrip("*"))
        if "*" in part.rstrip("*") or stem and not found:
            raise BadTerm(f"{text!r}: a * ends a stem of at least one letter ({HELP})")
        if stem and len(found) > 1:
            raise BadTerm(f"{text!r}: {part!r} is a stem of more than one word ({HELP})")
        out += [(w, stem and j == len(found) - 1) for j, w in enumerate(found)]
        if stem and phrase and k != len(raw) - 1:
            raise BadTerm(f"{text!r}: in a phrase only its last word may be a stem ({HELP})")
    return tuple(out)


@dataclass(frozen=True)
class Terms:
    """A list of terms (`[[notify]] match`, `--match`): a change matches when any does."""

    terms: tuple[Term, ...] = ()

    @classmethod
    def of(cls, texts: Iterable[str]) -> Terms:
        return _terms(tuple(texts))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def mentions(self, old: str | None, new: str | None, section: Sequence[str]) -> bool:
        """Whether a term is in a passage's old or new text, or its section path (no terms:
        every passage)."""
        if not self.terms:
            return True
        found = [words(t) for t in (old, new, " / ".join(section)) if t]
        return any(term.found_in(w) for term in self.terms for w in found)

    def matches(self, change: Change) -> bool:
        return self.mentions(change.old_text, change.new_text, change.section)


@functools.lru_cache(maxsize=256)  # a channel's list is parsed once, not once a change
def _terms(texts: tuple[str, ...]) -> Terms:
    return Terms(tuple(parse_term(t) for t in texts if t.strip()))
