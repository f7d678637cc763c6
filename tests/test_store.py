"""The store: sections rebuilt from versions equal a fresh parse; unchanged checks stay small."""

from __future__ import annotations

from docwatch.demo.replay import run_demo
from docwatch.models import Fetched, Observation, Source
from docwatch.parsing import fingerprint, parse


def test_every_snapshot_rebuilds_to_its_parse(tmp_path):
    store = run_demo(str(tmp_path / "demo.db"), echo=lambda *a: None)
    ids = [r[0] for r in store.db.execute("select id from snapshots order by id").fetchall()]
    # 11 checks, two of them noise only (kam.lt's counters; urm.lt's redesign): no version.
    assert len(ids) == 9
    for snapshot_id in ids:
        body, ctype, url = store.raw(snapshot_id)
        parsed = parse(body, content_type=ctype, url=url)
        rebuilt = store.document(snapshot_id)
        assert rebuilt.sections == parsed.sections
    # Section versions are shared: far fewer rows than snapshots x sections.
    total = sum(len(store.document(i).sections) for i in ids)
    assert store.count("sections") < total / 2
    # Raw HTML is kept compressed, once per distinct body.
    size, stored = store.db.execute("select sum(size), sum(length(data)) from blobs").fetchone()
    assert stored < size / 3


def test_pages_are_compressed_safely_from_many_threads_at_once():
    """`docwatch run` records from a thread per check: a compressor shared between threads
    crashed the process (zstd contexts are one thread's)."""
    import subprocess
    import sys

    script = """
import threading
from docwatch.demo.history import urm_page, urm_text
from docwatch.store.blobs import _zstd
body = urm_page(urm_text("2024-04-02"), "2024-04-02")
def work():
    for k in range(300):
        _zstd().compress(body + str(k).encode())
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.returncode


def _new_page(name: str, text: str) -> Observation:

    body = (f"<html lang=en><body><main><h1>{name}</h1><h2>Part</h2><p>{text}</p>"
            f"<p>{name} closing words.</p></main></body></html>").encode()
    url = f"http://127.0.0.1/{name}"
    return Observation(Source(name, url), "2026-11-28T10:00:00Z", 5, "new",
                       fetched=Fetched(url, url, 200, body, "text/html"),
                       doc=parse(body, content_type="text/html", url=url),
                       parsed_with=fingerprint(Source(name, url).rules))


def test_full_text_index_holds_the_committed_checks_of_a_batch_and_no_others(tmp_path):
    """The writer indexes a batch's passages as it commits: a check rolled back in the middle
    of the batch leaves nothing in the index, and the next check, taking its passage ids,
    is indexed with its own words."""
    from dataclasses import replace

    from docwatch.models import Outgoing
    from docwatch.store import StoreThread

    writer = StoreThread(tmp_path / "w.db")
    broken = replace(_new_page("beta", "Vilnius summit communique"),  # fails after its passages
                     outgoing=[Outgoing("ch", (7,), "2026-11-28T10:00:00Z")])
    futures = [writer.submit("record", obs) for obs in (
        _new_page("alpha", "Defence spending of 3 percent"), broken,
        _new_page("gamma", "Partner countries of the alliance"))]
    writer.close()
    assert [f.exception() is None for f in futures] == [True, False, True]
    db = writer.store.path
    import sqlite3

    conn = sqlite3.connect(db)
    # The index against the passages table (the 1: compare with the content, not only itself).
    conn.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)")

    def found(word: str) -> int:
        return conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?",
                            [word]).fetchone()[0]

    assert (found("spending"), found("summit"), found("partner")) == (1, 0, 1)


def test_reads_through_a_store_thread_do_not_wait_for_another_connections_write(tmp_path):
    """A worker reads the previous version of a changed page through its own store thread
    while the parent writes: reads must not take the database's write lock, or each process
    waits for the other in SQLite's busy handler."""
    import sqlite3

    from docwatch.store import StoreThread

    writer = StoreThread(tmp_path / "w.db")
    snapshot_id = writer.call("record", _new_page("alpha", "Defence spending of 3 percent"))
    writer.close()
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer, mid-transaction
    reader = StoreThread(tmp_path / "w.db")
    try:
        doc = reader.submit("document", snapshot_id).result(timeout=10)
        assert "Defence spending of 3 percent" in [b.text for s in doc.sections for b in s.blocks]
    finally:
        other.execute("ROLLBACK")
        reader.close()


def test_a_passage_hash_is_the_sha256_of_its_json_as_stored_databases_have_it():
    """Passages are matched by hash across versions: the fast writer must give the very
    hashes earlier releases stored (json.dumps of the passage, ensure_ascii off)."""
    import hashlib
    import json

    from docwatch.migrations import passage_hash

    texts = ["plain", "", 'quotes " and \\ backslash', "tab\tnew\nline\r\x00\x1f\x7f",
             "Lietuvos Respublikos užsienio reikalų ministerija – 2,5 % BVP",
             "emoji 🛰️ and \u2028 line separator, \ud7ff", "€ 1 234,5 mln.", "<p>&amp;</p>"]
    for k, text in enumerate(texts):
        for date in (None, "2024-04-02", texts[-1 - k]):
            for links in ((), ("https://urm.lt/a?b=1&c=ą",), (text, "x", "")):
                expected = hashlib.sha256(json.dumps(["entry", date, text, list(links)],
                                                     ensure_ascii=False).encode()).hexdigest()
                assert passage_hash("entry", date, text, links) == expected, (date, text, links)
