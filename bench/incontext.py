"""How long a stored version takes to show in context (target: a 150 KB version in under
0.5 s), beside BeautifulSoup+lxml's tree build of the same page, measured in the same run.

    .venv/bin/python bench/incontext.py

Two versions of a 150 KB page (a chronology of dated entries, a register table, long
paragraphs) are recorded by the real pipeline from a server on 127.0.0.1; the second adds
entries and rows, revises figures and drops a paragraph. `page` is the whole change-in-context
page as the Datasette plugin serves it: the version read from the store (raw HTML from its
zstd delta, the previous version's sections), marked, sanitized and rendered.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).parent.parent))

from docwatch.fetch import Fetcher  # noqa: E402
from docwatch.models import Source  # noqa: E402
from docwatch.pipeline import check_all  # noqa: E402
from docwatch.store import Store  # noqa: E402
from docwatch.web.incontext import mark  # noqa: E402
from docwatch.web.links import Links  # noqa: E402
from docwatch.web.views import change_page  # noqa: E402
from tests.servers import Server  # noqa: E402
from timing import median_seconds  # noqa: E402

ROUNDS = 15
TARGET = 0.5


def page(version: int) -> bytes:
    months = ["sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos",
              "rugpjūčio", "rugsėjo", "spalio", "lapkričio", "gruodžio"]
    parts = ["<html lang='lt'><head><title>Ministerija</title><script>var t=1;</script></head>"
             "<body><nav><a href='/'>Pradžia</a></nav><main><h1>Lietuvos gynybos politika</h1>"]
    for year in range(1991, 2026 + version):
        parts.append(f"<h2>{year} metai</h2>")
        for m, month in enumerate(months):
            share = "2,5" if (version == 1 or year % 3) else "3,0"
            parts.append(f"<p><strong>{year} m. {month} {m + 1} d.</strong></p><p>Seimas pritarė "
                         f"susitarimui skirti gynybai {share} proc. BVP; ministras susitiko su "
                         f"sąjungininkais aptarti pajėgų {year}-{m} plano ir rezervo rengimo.</p>")
    parts.append("<h2>Registras</h2><table><tr><th>Kodas</th><th>Pavadinimas</th><th>Data</th></tr>")
    for k in range(800 + 10 * version):
        parts.append(f"<tr><td>G-{k:04}</td><td>Leidimas Nr. {k} karinei technikai</td>"
                     f"<td>2024-0{1 + k % 9}-1{k % 9}</td></tr>")
    parts.append("</table>")
    if version == 1:
        parts.append("<p>Ši pastraipa antroje versijoje išbraukta kaip nebegaliojanti.</p>")
    parts.append("</main><footer>© Ministerija</footer></body></html>")
    return "".join(parts).encode()


def median_s(fn) -> float:
    return median_seconds(fn, ROUNDS)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, Server() as site, Fetcher() as http:
        store = Store(Path(folder) / "bench.db")
        source = Source("gynyba", site.url("/p"), robots=False)
        for version in (1, 2):
            site.put("/p", page(version))
            [result] = check_all([source], store, fetcher=http, deliver=False)
            assert result.ok, result.error
        rows = store.changes(source="gynyba", alerts_only=False)
        change_id = min(m["id"] for m, _ in rows)
        body, content_type, url = store.raw(rows[0][0]["snapshot_id"])
        previous = store.document(rows[0][0]["previous_snapshot_id"])
        changes = [(m["id"], c) for m, c in rows]
        soup = median_s(lambda: BeautifulSoup(body, "lxml"))
        marking = median_s(lambda: mark(body, changes, url=url, previous=previous))
        whole = median_s(lambda: change_page(store, change_id, Links("/-/docwatch/bench")))
        located = len(mark(body, changes, url=url, previous=previous).located)
        store.close()
    print(f"stored version: {len(body) / 1024:.0f} KB, {len(changes)} changes "
          f"({located} found on the page)   median of {ROUNDS}")
    print(f"{'bs4 tree build':28} {soup * 1000:7.1f} ms   1.00×")
    print(f"{'mark changes + sanitize':28} {marking * 1000:7.1f} ms   {marking / soup:.2f}×")
    print(f"{'whole change-in-context page':28} {whole * 1000:7.1f} ms   {whole / soup:.2f}×   "
          f"target < {TARGET * 1000:.0f} ms: {'met' if whole < TARGET else 'NOT MET'}")


if __name__ == "__main__":
    main()
