"""`docwatch demo`: replay the bundled history of both ministry pages, offline."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from .. import pipeline
from ..config import BUILTIN_SOURCES
from ..fetch import Fetcher
from ..models import FetchSettings, NotifyTarget
from ..store import Store
from .apps import APP_TYPE, rebuild
from .history import history
from .server import LocalTransport, Site, serve

EXPLORE = """\
Explore the history with sqlite-utils (or `{bin}datasette {db}` and its page /-/docwatch/{stem}:
each change shown on its page, after `{bin}pip install datasette`):
  {bin}sqlite-utils tables {db} --counts
  {bin}sqlite-utils rows {db} change_feed --limit 5
  {bin}sqlite-utils {db} "select detected_at, source, section_path, new_text from change_feed where category = 'new_entry'" --table
  {bin}sqlite-utils {db} "select detected_at, section_path, figures from change_feed where category = 'revised_figure'" --table
  {bin}docwatch --db {db} changes --since 2024-01-01
  {bin}docwatch --db {db} show urm-nato --change {figure} --html > change.html  # the 2.5 % → 3 % revision on its page"""


def bin_prefix() -> str:
    """How to call this installation's commands: bare when they are on PATH, else by path
    (`.venv/bin/` after the Quick start, which does not activate the environment)."""
    here = Path(sys.executable).parent
    found = shutil.which("docwatch")
    if found and Path(found).parent.resolve() == here.resolve():
        return ""
    try:
        return f"{here.relative_to(Path.cwd())}{os.sep}"
    except ValueError:
        return f"{here}{os.sep}"


def run_demo(db: str, echo: Callable[..., None], shape: str = "document",
             targets: tuple[NotifyTarget, ...] = ()) -> Store:
    """Check every bundled version in date order with the real pipeline, each page served in
    `shape` (see `apps`), alerts sent to `targets`; returns the store."""
    store = Store(db)
    store.mark_made_by("demo")  # first, so a demo stopped halfway may still be replaced
    site = Site()
    sources = {s.name: s for s in BUILTIN_SOURCES}
    with serve(site) as base:
        # Every request goes to loopback; the bundled pages have no robots.txt to honour.
        fetcher = Fetcher(FetchSettings(retries=0), transport=LocalTransport(base))
        try:
            for version in history():
                source = sources[version.source]
                body, content_type = version.body, version.content_type
                if shape != "document":  # a new build of the app with each version
                    body, content_type = rebuild(body, shape, build=version.date), APP_TYPE
                site.put(urlsplit(source.url).path, body, content_type)
                echo("step", f"── {version.date} · {source.name} · {version.label}")
                results = pipeline.check_all([source], store, fetcher=fetcher, targets=targets,
                                             clock=lambda d=version.date: f"{d}T09:00:00Z")
                echo("results", results, store)
        finally:
            fetcher.close()
    [(first, _), *_] = store.changes(source="urm-nato", category="revised_figure",
                                     oldest_first=True, limit=1)
    echo("info", EXPLORE.format(db=db, bin=bin_prefix(), stem=Path(db).stem,
                                figure=first["id"]))
    return store
