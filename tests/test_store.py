"""The store: sections rebuilt from versions equal a fresh parse; unchanged checks stay small."""

from __future__ import annotations

from docwatch.demo import run_demo
from docwatch.parsing import parse


def test_every_snapshot_rebuilds_to_its_parse(tmp_path):
    store = run_demo(str(tmp_path / "demo.db"), echo=lambda *a: None)
    ids = [r[0] for r in store.db.execute("select id from snapshots order by id").fetchall()]
    assert len(ids) == 11
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
