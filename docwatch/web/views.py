"""The analyst's reading views: the change feed as the alerts read, and a change in context.

Each view reads a `Store` and returns one self-contained HTML page (its style inline, no
script at all, a Content-Security-Policy that forbids scripts, frames and plugins), so the
Datasette plugin serves them and `docwatch show --html` saves the same page as a file.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from markupsafe import Markup

from ..errors import ParseError
from ..models import CATEGORIES, Change, ParseRules
from ..render import NAMES, Page, figures_line, html_excerpt
from ..store import Store
from .incontext import mark
from .links import Links
from .params import BadParameter, FeedFilter

#: No script may run, no frame or plugin load; the page's images may come from its site.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; "
       "form-action 'self'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP + "; frame-ancestors 'self'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_SIZE = 50


@functools.cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("docwatch.web", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(csp=CSP, names=NAMES, categories=CATEGORIES)
    env.filters["minute"] = lambda iso: (iso or "")[:16].replace("T", " ") + " UTC" if iso else ""
    return env


def render(template: str, **context: Any) -> str:
    return _templates().get_template(template).render(**context)


def _alert(meta: dict[str, Any], change: Change, links: Links) -> dict[str, Any]:
    """One change as its alert reads, for a template."""
    page = Page(change.source, meta["title"] or change.source or "", meta["page_url"])
    return {"id": meta["id"], "category": change.category,
            "name": NAMES.get(change.category, change.category), "where": page.where(change),
            "figures": figures_line(change), "quote": Markup(html_excerpt(change)),
            "source": change.source, "title": page.title, "url": meta["page_url"],
            "detected_at": meta["detected_at"], "link": links.change(meta["id"]),
            "alert": change.alert}


def change_page(store: Store, change_id: int, links: Links,
                rules: ParseRules = ParseRules()) -> str:
    """The version a change was found in, with it (and the version's other alerts) in place."""
    found = store.changes(ids=[change_id], alerts_only=False)
    if not found:
        raise LookupError(f"no change {change_id}")
    return snapshot_page(store, found[0][0]["snapshot_id"], links, focus=change_id, rules=rules)


def snapshot_page(store: Store, snapshot_id: int, links: Links, *, focus: int | None = None,
                  rules: ParseRules = ParseRules()) -> str:
    """A stored version of a page, the changes found in it marked where they happened."""
    info = store.snapshot_info(snapshot_id)
    found = [(m, c) for m, c in store.changes(snapshot_id=snapshot_id, alerts_only=False,
                                              oldest_first=True)
             if c.alert or m["id"] == focus]
    previous_id = next((m["previous_snapshot_id"] for m, _ in found
                        if m["previous_snapshot_id"]), None)
    body, content_type, url = store.raw(snapshot_id)
    problem, located, content = None, set(), ""
    try:
        marked = mark(body, [(m["id"], c) for m, c in found], url=url or info["url"],
                      content_type=content_type, focus=focus, rules=rules,
                      previous=store.document(previous_id) if previous_id else None)
        content, located = Markup(marked.html), marked.located
    except ParseError as e:
        problem = f"This version cannot be shown: {e}"
    alerts = [_alert(m, c, links) for m, c in found]
    for a in alerts:
        a["located"] = a["id"] in located
    alerts.sort(key=lambda a: a["id"] != focus)  # the one asked for first
    focus_id = focus if focus is not None else (alerts[0]["id"] if alerts else None)
    before, after = store.neighbours("changes", focus_id) if focus_id else (None, None)
    older, newer = store.neighbours("snapshots", snapshot_id)
    nav = [("← Previous change", links.change(before)), ("Next change →", links.change(after)),
           ("← Previous version", links.snapshot(older)), ("Next version →", links.snapshot(newer))]
    return render("change.html", info=info, alerts=alerts, focus=focus, content=content,
                  problem=problem, nav=[(label, href) for label, href in nav if href],
                  feed=links.feed(), source_feed=links.feed({"source": info["source"]}))


def feed_page(store: Store, view: FeedFilter, links: Links, database: str) -> tuple[int, str]:
    """(HTTP status, page): the changes as the alerts read, newest first, filtered; a bad
    filter is a 400 that says which and why."""
    alerts, older, error = [], None, None
    try:
        found = store.changes(limit=PAGE_SIZE + 1, **view.query())
    except BadParameter as e:
        error = str(e)
    else:
        alerts = [_alert(m, c, links) for m, c in found[:PAGE_SIZE]]
        if len(found) > PAGE_SIZE:
            older = links.feed(view.link(before=str(alerts[-1]["id"])))
    page = render("feed.html", database=database, alerts=alerts, view=view, error=error,
                  sources=store.source_names(), older=older, feed=links.feed(),
                  newest=links.feed(view.link(before="")) if view.before else None)
    return (400 if error else 200), page
