"""Datasette plugin: titles, descriptions and canned queries for docwatch databases.

Installed with docwatch (entry point `datasette`), so `datasette docwatch.db` shows them with
no `--metadata` flag. Only databases that are docwatch's get them.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from pathlib import Path
from typing import Any

from datasette import hookimpl

METADATA = Path(__file__).with_name("datasette.json")


@functools.cache
def _shipped() -> dict[str, Any]:
    return json.loads(METADATA.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=64)
def is_docwatch_db(path: str) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'change_feed'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(found) and version >= 2


@hookimpl
def get_metadata(datasette, key, database, table):
    shipped = _shipped()
    databases = {
        name: {k: shipped[k] for k in ("description", "tables", "queries")}
        for name, db in datasette.databases.items()
        if db.path and is_docwatch_db(db.path)
    }
    return {"databases": databases} if databases else {}
