"""The hashes that identify a passage and a section across versions (and in schema 2's
migration, which made them)."""

from __future__ import annotations

import hashlib
import json

#: How `json.dumps(..., ensure_ascii=False)` writes a string (the C function it calls).
_quote = json.encoder.encode_basestring


def passage_hash(kind: str, date: str | None, text: str, links: list[str] | tuple[str, ...],
                 key: str | None = None) -> str:
    """sha256 of `json.dumps([kind, date, text, links], ensure_ascii=False)` (a record's key
    appended when it has one), written out directly: the same bytes, without an encoder object
    per call (a first snapshot hashes every passage of the page, and json.dumps was a fifth of
    its write)."""
    raw = (f"[{_quote(kind)}, {'null' if date is None else _quote(date)}, {_quote(text)}, "
           f"[{', '.join(map(_quote, links))}]{'' if key is None else ', ' + _quote(key)}]")
    return hashlib.sha256(raw.encode()).hexdigest()


def section_hash(path: str, passage_ids: list[int]) -> str:
    return hashlib.sha256(f"{path}\x00{passage_ids}".encode()).hexdigest()
