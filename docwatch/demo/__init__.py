"""`docwatch demo`: replay the bundled history of both ministry pages, offline."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from .. import pipeline
from ..config import BUILTIN_SOURCES
from ..fetch import Fetcher
from ..models import FetchSettings
from ..store import Store
from .history import history
from .server import LocalTransport, Site, serve

EXPLORE = """\
Explore the history with sqlite-utils (or `datasette {db}`):
  sqlite-utils tables {db} --counts
  sqlite-utils rows {db} change_feed --limit 5
  sqlite-utils {db} "select detected_at, source, section_path, new_text from change_feed where category = 'new_entry'" --table
  sqlite-utils {db} "select detected_at, section_path, figures from change_feed where category = 'revised_figure'" --table
  docwatch --db {db} changes --since 2024-01-01"""


def run_demo(db: str, echo: Callable[..., None]) -> Store:
    """Check every bundled version in date order with the real pipeline; returns the store."""
    store = Store(db)
    site = Site()
    sources = {s.name: s for s in BUILTIN_SOURCES}
    with serve(site) as base:
        # Every request goes to loopback; the bundled pages have no robots.txt to honour.
        fetcher = Fetcher(FetchSettings(retries=0), transport=LocalTransport(base))
        try:
            for version in history():
                source = sources[version.source]
                site.put(urlsplit(source.url).path, version.body, version.content_type)
                echo("step", f"── {version.date} · {source.name} · {version.label}")
                results = pipeline.check_all([source], store, fetcher=fetcher,
                                             clock=lambda d=version.date: f"{d}T09:00:00Z")
                echo("results", results, store)
        finally:
            fetcher.close()
    echo("info", EXPLORE.format(db=db))
    return store
