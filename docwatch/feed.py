"""`docwatch feed`: an Atom feed of recorded changes, with entry ids that never change."""

from __future__ import annotations

import hashlib
from typing import Any

from feedgen.feed import FeedGenerator

from . import render
from .matching import Terms
from .models import Change
from .store import Store
from .times import from_iso
from .web.links import Links


def entry_id(meta: dict[str, Any], change: Change) -> str:
    """Stable across regenerations and `reparse`: made of what the change is, not its row id."""
    key = "\x00".join([change.source or "", meta["detected_at"], " › ".join(change.section),
                       change.locator or "", change.category, change.old_text or "",
                       change.new_text or ""])
    return f"urn:docwatch:change:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def status_id(event: dict[str, Any]) -> str:
    """A status event's entry id, stable as a change's is."""
    key = "\x00".join([event["source"], event["at"], event["event"]])
    return f"urn:docwatch:status:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def feed_of(store: Store, *, source: str | None = None, limit: int = 200,
            match: Terms | None = None, links: Links = Links(None),
            alerts_only: bool = True) -> bytes:
    """The Atom feed of the newest `limit` changes (of `source`, mentioning `match`) and of
    the status events, which go where alerts go but mention no words."""
    rows = store.changes(source=source, alerts_only=alerts_only, limit=limit, match=match)
    events = [] if match else store.events(source=source, limit=limit)
    return atom(rows, source=source, links=links, events=events,
                terms=tuple(t.text for t in match.terms) if match else ())


def atom(rows: list[tuple[dict[str, Any], Change]], *, source: str | None = None,
         links: Links = Links(None), events: list[dict[str, Any]] = (),
         terms: tuple[str, ...] = ()) -> bytes:
    """The feed of `rows` and status `events` (each newest first), as Atom XML bytes. With
    `links` (`[run] base_url`) an entry's link is its change in context, else the page;
    `terms`: the words its changes were chosen by, which make it a feed of its own."""
    fg = FeedGenerator()
    mentioning = f" · mentioning {', '.join(terms)}" if terms else ""
    fg.id(f"urn:docwatch:feed:{source or 'all'}" + (
        f":{hashlib.sha256(chr(0).join(terms).encode()).hexdigest()[:16]}" if terms else ""))
    fg.title((f"docwatch · {source}" if source else "docwatch · all watched pages")
             + mentioning)
    fg.subtitle("What changed on the watched pages, in analysts' terms.")
    fg.author({"name": "docwatch"})
    fg.generator("docwatch")
    if source and rows and rows[0][0].get("url"):  # one page's feed links to that page;
        fg.link(href=rows[0][0]["url"], rel="alternate")  # a feed of all has no one page
    times = [rows[0][0]["detected_at"]] if rows else []
    times += [events[0]["at"]] if events else []
    fg.updated(from_iso(max(times, default="1970-01-01T00:00:00Z")))
    # feedgen prepends: oldest first gives newest on top
    for kind, at, item in sorted([("change", m["detected_at"], (m, c)) for m, c in reversed(rows)]
                                 + [("status", e["at"], e) for e in reversed(events)],
                                 key=lambda entry: entry[1]):
        if kind == "status":
            _status_entry(fg.add_entry(), item)
            continue
        meta, change = item
        in_context = links.change(meta["id"])
        page = render.Page(change.source, meta["title"] or "", meta["url"], [change],
                           [in_context])
        entry = fg.add_entry()
        entry.id(entry_id(meta, change))
        name = render.NAMES.get(change.category, change.category)
        entry.title(f"{change.source} · {name} · {page.where(change)}")
        entry.category(term=change.category, label=name, scheme="urn:docwatch:category")
        entry.updated(from_iso(meta["detected_at"]))
        entry.published(from_iso(meta["detected_at"]))
        # One link: feedgen 1.0 writes no `rel`, so a second one would be a second
        # "alternate". The page's address stays in the content.
        if in_context or meta.get("url"):
            entry.link(href=in_context or meta["url"])
        entry.summary(render.quote(change))
        entry.content(render.html_body([page])[1], type="html")  # page text escaped inside
    return fg.atom_str(pretty=True)


def _status_entry(entry, event: dict[str, Any]) -> None:
    """A status event as a feed entry: "urm-nato · ✓ content back", its detail as summary."""
    heading = render.STATUS[event["event"]]
    entry.id(status_id(event))
    entry.title(f"{event['source']} · {heading}")
    entry.category(term=event["event"], label=render.status_words(event["event"]),
                   scheme="urn:docwatch:status")
    entry.updated(from_iso(event["at"]))
    entry.published(from_iso(event["at"]))
    if event.get("url"):
        entry.link(href=event["url"])
    entry.summary(event["detail"])
