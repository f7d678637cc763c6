"""Datasette plugin: docwatch databases read as an analyst expects.

Installed with docwatch (entry point `datasette`), so `datasette docwatch.db` has it with no
`--metadata` flag; only databases that are docwatch's get it:

- titles, descriptions and canned queries, and the views to start from listed first;
- cells rendered for reading: the word diff with <del>/<ins> (escaped), long old and new
  texts as excerpts, figures as "2.5 % → 3 %";
- the canned queries' `since` read like the CLI's `--since` (2024-03-01, an ISO time, 7d)
  and FTS searches checked first, each bad value one clear message instead of no rows or
  `fts5: syntax error`;
- the reading views under `/-/docwatch/{database}`: the change feed as the alerts read, and
  each change (`/changes/{id}`) or version (`/snapshots/{id}`) in context;
- the Atom feed at `/-/docwatch/{database}/feed.atom` (`?source=`, `?match=`).
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from . import render
from .models import Change
from .store import Store, StoreError, expand_diff
from .web import views
from .web.links import PATH, Links
from .web.params import FeedFilter
from .web import params as web_params

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
    reading = f"{PATH}/{quote(database)}"
    return (f"<p>{e(shipped['description'])}</p><p><strong>Start here:</strong> "
            f'<a href="{e(reading)}">the changes as the alerts read them</a>, each one shown '
            f"in context on its page; or the tables:</p><ul>{items}</ul>")


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
    conn.create_function("docwatch_since", 1, web_params.since, deterministic=True)


def parameter_problem(query: str, params: dict[str, str]) -> str | None:
    """What is wrong with a canned query's parameters, in words; None when nothing is."""
    try:
        web_params.since(params.get("since", "").strip())
        if query == "search_history":
            web_params.search(params.get("q"))
    except web_params.BadParameter as e:
        return str(e)
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


# --- reading views ----------------------------------------------------------------------


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/docwatch/?$", _index_view),
        (r"^/-/docwatch/(?P<database>[^/]+)/?$", _feed_view),
        (r"^/-/docwatch/(?P<database>[^/]+)/feed\.atom$", _atom_view),
        (r"^/-/docwatch/(?P<database>[^/]+)/changes/(?P<row>\d+)$", _change_view),
        (r"^/-/docwatch/(?P<database>[^/]+)/snapshots/(?P<row>\d+)$", _snapshot_view),
    ]


def _page(body: str, status: int = 200) -> Response:
    return Response.html(body, status=status, headers=views.HEADERS)


def _not_found(what: str) -> Response:
    return _page(views.render("message.html", heading="Not found", message=what), 404)


async def _index_view(datasette, request):
    names = [name for name in datasette.databases if _ours(datasette, name)]
    if len(names) == 1:
        return Response.redirect(f"{PATH}/{quote(names[0])}")
    items = [(name, f"{PATH}/{quote(name)}") for name in names]
    return _page(views.render("message.html", heading="docwatch databases", items=items,
                              message="" if items else "No docwatch database is served."))


async def _feed_view(datasette, request):
    return await _with_store(datasette, request, lambda store, links, name: views.feed_page(
        store, FeedFilter.of({k: request.args.get(k) for k in request.args.keys()}), links, name))


async def _atom_view(datasette, request):
    """The Atom feed, served: `?source=` one page, `?match=` (repeated: any) the words its
    changes mention, as `docwatch feed --match` and `[[notify]] match` read them."""
    from .feed import feed_of
    from .matching import BadTerm, Terms

    source = (request.args.get("source") or "").strip() or None
    texts = tuple(t for t in request.args.getlist("match") if t.strip())
    try:
        match = Terms.of(texts) if texts else None
    except BadTerm as e:
        return Response.text(f"match: {e}\n", status=400)
    # A feed reader resolves no relative links: the change pages by their whole address.
    root = f"{request.scheme}://{request.host}"
    return await _with_store(datasette, request, lambda store, links, name: (200, feed_of(
        store, source=source, match=match, links=Links(root + links.root)
    ).decode("utf-8")), respond=_atom)


def _atom(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="application/atom+xml; charset=utf-8")


async def _change_view(datasette, request):
    row = int(request.url_vars["row"])
    return await _with_store(datasette, request, lambda store, links, name: (
        200, views.change_page(store, row, links)))


async def _snapshot_view(datasette, request):
    row = int(request.url_vars["row"])
    return await _with_store(datasette, request, lambda store, links, name: (
        200, views.snapshot_page(store, row, links)))


async def _with_store(datasette, request, view, respond=_page) -> Response:
    """Run `view(store, links, database)` on a read-only store, off the event loop; its
    (status, body) made a response by `respond`."""
    name = request.url_vars["database"]
    if not _ours(datasette, name):
        return _not_found(f"No docwatch database named {name!r} is served here.")
    path = datasette.databases[name].path

    def run() -> tuple[int, str]:
        with Store(path, readonly=True) as store:
            return view(store, Links(f"{PATH}/{quote(name)}"), name)

    try:
        status, body = await asyncio.to_thread(run)
    except (LookupError, StoreError) as e:
        return _not_found(str(e))
    return respond(body, status)
