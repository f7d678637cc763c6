"""How the database grows: unchanged checks, and versions with one paragraph changed.

    .venv/bin/python bench/storage.py

Checks a 30 KB urm.lt page served on 127.0.0.1 through the real pipeline. Compare urlwatch,
which stores about 25 KB per change of such a page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from docwatch.fetch import Fetcher

from docwatch.demo.history import urm_page, urm_text
from docwatch.demo.server import Site, serve
from docwatch.models import Source
from docwatch.pipeline import check
from docwatch.store import Store

DATE = "2024-07-15"


def size(store: Store) -> int:
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return (store.db.execute("PRAGMA page_count").fetchone()[0]
            * store.db.execute("PRAGMA page_size").fetchone()[0])


def edited(k: int) -> bytes:
    tag = chr(97 + k % 26) + chr(97 + k // 26 % 26)
    return urm_page(urm_text(DATE).replace("of the Alliance", f"of the Alliance ({tag})", 1), DATE)


def main() -> None:
    site = Site()
    with tempfile.TemporaryDirectory() as tmp, serve(site) as base, Fetcher() as http:
        store = Store(Path(tmp) / "bench.db")
        source = Source("urm-nato", f"{base}/page")
        page = urm_page(urm_text(DATE), DATE)
        site.put("/page", page, "text/html; charset=utf-8")
        check(source, store, fetcher=http)
        print(f"first version of a {len(page) / 1024:.0f} KB page: {size(store) / 1024:.0f} KB "
              "database (schema, indexes, one compressed page)")
        before = size(store)
        for _ in range(1000):
            check(source, store, fetcher=http)
        print(f"1,000 unchanged checks:            +{(size(store) - before) / 1024:.1f} KB")
        for n in (1, 100):
            before = size(store)
            for k in range(n):
                site.put("/page", edited(k + n), "text/html; charset=utf-8")
                check(source, store, fetcher=http)
            print(f"one paragraph changed (mean of {n:>3}): "
                  f"+{(size(store) - before) / n / 1024:.1f} KB per version")
        store.close()


if __name__ == "__main__":
    main()
