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
