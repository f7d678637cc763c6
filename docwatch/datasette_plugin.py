"""Datasette plugin: docwatch databases read as an analyst expects.

Installed with docwatch (entry point `datasette`), so `datasette docwatch.db` has it with no
`--metadata` flag; only databases that are docwatch's get it:

- titles, descriptions and canned queries, and the views to start from listed first;
- cells rendered for reading: the word diff with <del>/<ins> (escaped), long old and new
  texts as excerpts, figures as "2.5 % → 3 %";
- the canned queries' `since` read like the CLI's `--since` (2024-03-01, an ISO time, 7d)
  and FTS searches checked first, each bad value one clear message instead of no rows or
  `fts5: syntax error`.
"""

from __future__ import annotations

import functools
import html
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from . import render
from .models import Change
from .store import expand_diff
from .times import WHEN_HELP, day_start, parse_when

METADATA = Path(__file__).with_name("datasette.json")
EXCERPT = 240  # characters of an old or new text shown in a table cell


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


def _ours(datasette, database: str | None) -> bool:
    db = datasette.databases.get(database) if database else None
    return bool(db and db.path and is_docwatch_db(db.path))


# --- metadata ---------------------------------------------------------------------------


@hookimpl
def get_metadata(datasette, key, database, table):
    shipped = _shipped()
    databases = {
        name: {**{k: shipped[k] for k in ("tables", "queries")},
               "description_html": _start_here(datasette, name)}
        for name in datasette.databases if _ours(datasette, name)
    }
    return {"databases": databases} if databases else {}


def _start_here(datasette, database: str) -> str:
    """The database page's head: the views to start from, by title, before the raw tables."""
    shipped, e = _shipped(), html.escape
    items = "".join(
        f'<li><a href="{e(datasette.urls.table(database, name))}">{e(meta["title"])}</a>: '
        f'{e(meta.get("description", ""))}</li>'
        for name, meta in shipped["tables"].items() if meta.get("title"))
    return f"<p>{e(shipped['description'])}</p><p><strong>Start here:</strong></p><ul>{items}</ul>"


# --- cells ------------------------------------------------------------------------------


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if not isinstance(value, str) or not _ours(datasette, database):
        return None
    if column == "diff" and value.startswith("[["):
        return Markup(_diff_html(row, value))
    if column == "figures" and value.startswith("[{"):
        return "  ".join(f"{f.get('old') or '∅'} → {f.get('new') or '∅'}" for f in json.loads(value))
    if column in ("old_text", "new_text") and len(value) > EXCERPT:
        return render.clip(value, EXCERPT)
    return None


def _diff_html(row, value: str) -> str:
    """The stored word diff as the alert quotes it: unchanged runs cut to their context."""
    def get(name: str) -> Any:
        try:
            return row[name]
        except (IndexError, KeyError):
            return None

    old, new = get("old_text") or "", get("new_text") or ""
    diff = [[op, piece if isinstance(piece, str) else "…"]  # a run the row cannot fill in
            for op, piece in expand_diff(json.loads(value), old, new)]
    change = Change([], get("kind") or "modified", get("category") or "text_edit", old, new, diff,
                    [], 0.0, False)
    return render.html_excerpt(change)


# --- parameters -------------------------------------------------------------------------


@hookimpl
def prepare_connection(conn):
    # The canned queries call these, so `since` means in Datasette what it means in the CLI.
    conn.create_function("docwatch_since", 1, _since, deterministic=True)


def _since(value: str | None) -> str | None:
    return day_start(parse_when(value)) if value else None


def parameter_problem(query: str, params: dict[str, str]) -> str | None:
    """What is wrong with a canned query's parameters, in words; None when nothing is."""
    since = params.get("since", "").strip()
    if since:
        try:
            parse_when(since)
        except ValueError:
            return f"since: {since!r} is not {WHEN_HELP}."
    q = params.get("q", "").strip()
    if q and query == "search_history":
        with sqlite3.connect(":memory:") as probe:
            probe.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
            try:
                probe.execute("SELECT * FROM t WHERE t MATCH ?", [q]).fetchall()
            except sqlite3.OperationalError:
                return (f"q: {q!r} is not a search FTS5 understands. Use words (NATO summit), "
                        '"an exact phrase", NATO OR Alliance, NATO NOT Russia, or a prefix '
                        "(summ*); AND, OR and NOT need a word on each side, and quotes must "
                        "pair.")
    return None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def checked(scope, receive, send):
            if scope.get("type") == "http":
                problem = _request_problem(datasette, scope)
                if problem:
                    await _bad_request(problem).asgi_send(send)
                    return
            await app(scope, receive, send)
        return checked
    return wrap


def _request_problem(datasette, scope) -> str | None:
    parts = scope.get("path", "").strip("/").split("/")
    if len(parts) != 2 or parts[1] not in _shipped()["queries"]:
        return None
    database = parts[0]
    if not _ours(datasette, database):
        return None
    query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    return parameter_problem(parts[1], {k: v[0] for k, v in query.items()})


def _bad_request(problem: str) -> Response:
    body = (f"<!DOCTYPE html><html><head><title>Bad parameter</title></head><body>"
            f'<h1>Bad parameter</h1><p class="message-error">{html.escape(problem)}</p>'
            "<p>Go back and correct it.</p></body></html>")
    return Response.html(body, status=400)
