"""docwatch: watch ministry pages and tell analysts, in their terms, what changed.

The Python API for notebooks; the CLI is a thin layer over it::

    import docwatch
    changes = docwatch.diff(open("old.html", "rb").read(), open("new.html", "rb").read())
    doc = docwatch.parse(html_bytes)
"""

from __future__ import annotations

__version__ = "0.1.0"

import sys
from typing import TYPE_CHECKING

# httpx imports its own command line, and with it rich and pygments, whenever they are
# installed, as rich is for docwatch's terminal output: a fifth of a `fetch` run's start
# (encode/httpx#3547). docwatch never runs httpx's command line.
sys.modules.setdefault("httpx._main", None)

if TYPE_CHECKING:  # pragma: no cover
    from .models import Change, CheckResult, Document, Source
    from .store import Store

__all__ = ["__version__", "check", "diff", "parse", "open_store"]


def parse(body: bytes | str, *, url: str | None = None, content_type: str | None = None) -> Document:
    """Parse an HTML page into a `Document` of sections."""
    from .parsing import parse as _parse

    return _parse(body, url=url, content_type=content_type)


def diff(old: bytes | str, new: bytes | str) -> list[Change]:
    """Change records from one version of a page (HTML bytes or text) to another."""
    from .diffing import diff as _diff

    return _diff(parse(old), parse(new))


def open_store(path: str = "docwatch.db") -> Store:
    """Open (or create) a docwatch database."""
    from .store import Store as _Store

    return _Store(path)


def check(source: Source | str, url: str | None = None, *, db: str = "docwatch.db") -> CheckResult:
    """Check one source now and record it: `check("urm-nato", "https://…")` or a `Source`."""
    from .models import Source as _Source
    from .pipeline import check as _check

    if isinstance(source, str):
        if url is None:
            raise TypeError("check(name, url): give the page's URL with its name")
        source = _Source(name=source, url=url)
    store = open_store(db)
    try:
        return _check(source, store)
    finally:
        store.close()
