"""The database schema as a list of in-place migrations; `PRAGMA user_version` says how far
a file has come. A new database runs them all; an old one runs the ones it lacks, each in one
transaction. Never edit a released step: add one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .first import FTS, V1, V2_AFTER, V2_BEFORE, _v2_data, fts_sql
from .hashes import passage_hash, section_hash
from .later import V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, _v6_data

__all__ = ["LATEST", "STEPS", "passage_hash", "section_hash", "statements"]

#: (version, SQL to run, Python step to run after it, SQL to run last)
Step = tuple[int, str, Callable[[sqlite3.Connection], None] | None, str]
STEPS: list[Step] = [
    (1, V1, None, ""),
    (2, V2_BEFORE, _v2_data, V2_AFTER + "".join(fts_sql(*f) for f in FTS)),
    (3, V3, None, ""),
    (4, V4, None, ""),
    (5, V5, None, ""),
    (6, V6, _v6_data, ""),
    (7, V7, None, ""),
    (8, V8, None, ""),
    (9, V9, None, ""),
    (10, V10, None, ""),
    (11, V11, None, ""),
    (12, V12, None, ""),
]
LATEST = STEPS[-1][0]


def statements(script: str) -> list[str]:
    """Split a script into statements (sqlite3.complete_statement knows where one ends)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]
