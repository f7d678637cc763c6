"""History that grows with changes and stays queryable (issue 4)."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import textwrap

from docwatch.fetch import Fetcher
import pytest
import sqlite_utils
from pytest_httpserver import HTTPServer

from docwatch import migrations
from docwatch.demo.replay import run_demo
from docwatch.demo.history import urm_page, urm_text
from docwatch.models import Source
from docwatch.parsing import parse
from docwatch.pipeline import check
from docwatch.store import Store

from .conftest import FIXTURES, run_cli

PATH = "/en/nato/995"
TODAY = "2024-07-15"


def db_size(store: Store) -> int:
    """Bytes the database occupies once its WAL is folded in."""
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, size = (store.db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size"))
    return pages * size


def serve(httpserver: HTTPServer, body: bytes) -> None:
    httpserver.clear()
    httpserver.expect_request(PATH).respond_with_data(body, content_type="text/html; charset=utf-8")


def dump(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def watched(httpserver: HTTPServer, tmp_path):
    source = Source("urm-nato", httpserver.url_for(PATH))
    store = Store(tmp_path / "history.db")
    with Fetcher() as http:
        yield source, store, http
    store.close()


def one_paragraph_changed(k: int) -> bytes:
    tag = chr(97 + k % 26) + chr(97 + k // 26)  # a new word each time, not a figure
    text = urm_text(TODAY).replace("31st member of the Alliance", f"31st member of the Alliance ({tag})")
    assert text != urm_text(TODAY)
    return urm_page(text, TODAY)


def test_unchanged_checks_add_a_small_row_and_a_changed_paragraph_a_few_kilobytes(
        httpserver, watched):
    source, store, http = watched
    page = urm_page(urm_text(TODAY), TODAY)
    assert 28_000 <= len(page) <= 32_000
    serve(httpserver, page)
    assert check(source, store, fetcher=http).status == "new"
    before = db_size(store)
    for _ in range(1000):
        assert check(source, store, fetcher=http).status == "unchanged"
    grown = db_size(store) - before
    assert store.count("fetches") == 1001 and store.count("snapshots") == 1
    assert grown < 100_000, f"1000 unchanged checks grew the database by {grown} bytes"

    # Steady state over 20 versions, each with one paragraph changed (pages are allocated
    # 4 KB at a time, so one version alone measures the allocator, not the history).
    before, versions = db_size(store), 20
    for k in range(versions):
        serve(httpserver, one_paragraph_changed(k))
        result = check(source, store, fetcher=http)
        assert result.status == "changed" and [c.category for c in result.changes] == ["text_edit"]
    per_version = (db_size(store) - before) / versions
    assert per_version < 12_000, f"a changed paragraph costs {per_version:.0f} bytes"
    # ...and every version still reads back exactly as parsed from its raw HTML.
    for snapshot_id in store.snapshots_of("urm-nato"):
        body, ctype, url = store.raw(snapshot_id)
        assert store.document(snapshot_id).sections == parse(body, content_type=ctype, url=url).sections


def test_reparse_rebuilds_once_then_changes_nothing(tmp_path, write_config):
    db = tmp_path / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    # A new ignore rule: the stored sections were made without it, so reparse has work to do.
    config = write_config(textwrap.dedent("""
        [[source]]
        name = "urm-nato"
        url = "https://www.urm.lt/en/lithuanias-security-policy/lithuanias-membership-in-the-north-atlantic-treaty-organization-nato/995"
        ignore = ['\\(NATO\\)']
        """))
    first = run_cli("--db", str(db), "--config", str(config), "reparse")
    assert first.returncode == 0, first.stderr
    assert "urm-nato: 6 version(s) rebuilt" in first.stdout
    assert "kam-non-nato: 3 version(s) already current" in first.stdout
    after_first = dump(db)
    assert not any("(NATO)" in r for r in sqlite_utils.Database(db).query(
        "select text from passages where source_id = 1"))
    second = run_cli("--db", str(db), "--config", str(config), "reparse")
    assert second.returncode == 0, second.stderr
    assert "rebuilt" not in second.stdout
    assert dump(db) == after_first
    # The rebuilt history is still exact.
    store = Store(db)
    for snapshot_id in store.snapshots_of("kam-non-nato"):
        body, ctype, url = store.raw(snapshot_id)
        assert store.document(snapshot_id).sections == parse(body, content_type=ctype, url=url).sections


def test_schema_1_database_upgrades_in_place_without_losing_rows(tmp_path, httpserver):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(gzip.decompress((FIXTURES / "schema1-demo.sql.gz").read_bytes()).decode())
    conn.execute("PRAGMA user_version = 1")
    old_counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("sources", "blobs", "fetches", "snapshots", "sections", "changes",
                            "deliveries")}
    old_sections = conn.execute("select id, path, valid_from, valid_to from sections").fetchall()
    columns = [r[1] for r in conn.execute("pragma table_info(changes)")]
    old_changes = conn.execute(f"select {', '.join(columns)} from changes").fetchall()
    conn.close()

    store = Store(path)
    assert store.schema_version == migrations.LATEST
    assert {t: store.count(t) for t in old_counts} == old_counts
    assert store.db.execute(
        "select id, path, valid_from, valid_to from sections").fetchall() == old_sections
    renamed = [f"{c}_inline" if c in ("old_text", "new_text") else c for c in columns]  # schema 12
    assert store.db.execute(f"select {', '.join(renamed)} from changes").fetchall() == old_changes
    for snapshot_id in [r[0] for r in store.db.execute("select id from snapshots")]:
        body, ctype, url = store.raw(snapshot_id)  # schema 1's gzip blobs still read
        assert store.document(snapshot_id).sections == parse(body, content_type=ctype, url=url).sections
    # The views, FTS and the next check work on the upgraded file.
    assert store.db.execute("select count(*) from current_sections").fetchone()[0] > 0
    hits = store.db.execute("select count(*) from passages_fts where passages_fts match 'Belarus'")
    assert hits.fetchone()[0] > 0
    source = Source("urm-nato", httpserver.url_for(PATH))
    serve(httpserver, one_paragraph_changed(1))
    with Fetcher() as http:
        result = check(source, store, fetcher=http)
    assert result.status == "changed"


READER = r"""
import sqlite3, sys
db, errors, reads = sys.argv[1], [], 0
print("ready", flush=True)
while not sys.stdin.closed:
    try:
        conn = sqlite3.connect(db)  # as sqlite-utils and Datasette open it: default timeout
        for view in ("change_feed", "current_sections", "section_history", "check_log"):
            conn.execute(f"select count(*) from {view}").fetchone()
        conn.close()
        reads += 1
    except sqlite3.OperationalError as e:
        errors.append(str(e))
    import select
    if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.readline():
        break
print(reads, len(errors), errors[:3], flush=True)
"""


def test_a_reader_process_never_sees_database_is_locked_while_checks_write(httpserver, watched):
    source, store, http = watched
    serve(httpserver, one_paragraph_changed(0))
    check(source, store, fetcher=http)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(store.path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdout.readline().strip() == "ready"
    for k in range(1, 40):
        serve(httpserver, one_paragraph_changed(k))
        assert check(source, store, fetcher=http).status == "changed"
        check(source, store, fetcher=http)
    reader.stdin.close()
    reads, n_errors, errors = reader.stdout.readline().split(" ", 2)
    reader.wait(timeout=30)
    assert int(n_errors) == 0, errors
    assert int(reads) > 10


def test_history_show_and_sources_commands(tmp_path):
    db = tmp_path / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    history = run_cli("--db", str(db), "history", "kam-non-nato")
    assert history.returncode == 0, history.stderr
    assert "2014-09-10 → 2022-03-15  Cooperation with non-NATO states" in history.stdout
    assert "[-, Russia-]" in history.stdout
    legal = run_cli("--db", str(db), "history", "urm-nato", "--section", "Legal framework")
    assert "[-2.5-]{+3+} % of GDP" in legal.stdout
    assert "chronology" not in legal.stdout

    then = run_cli("--db", str(db), "show", "kam-non-nato", "--at", "2014-01-01")
    now = run_cli("--db", str(db), "show", "kam-non-nato")
    assert "Belarus, Moldova, Russia" in then.stdout and "(snapshot 1," in then.stdout
    assert "Belarus, Moldova, Russia" not in now.stdout
    as_json = json.loads(run_cli("--db", str(db), "show", "urm-nato", "--at", "2023-05-01",
                                 "--json").stdout)
    dates = [b.get("date") for s in as_json["sections"] for b in s["blocks"]]
    assert "4 April 2023" in dates and "11-12 July 2023" not in dates

    sources = run_cli("--db", str(db), "sources")
    assert sources.returncode == 0
    line = next(x for x in sources.stdout.splitlines() if x.startswith("urm-nato"))
    assert "2025-07-01 09:00" in line and "changed" in line

    unknown = run_cli("--db", str(db), "show", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (f"docwatch: nope: unknown source in {db} "
                                      "(it has: kam-non-nato, urm-nato)")


def test_datasette_shows_titles_and_canned_queries_for_a_docwatch_database(tmp_path):
    import asyncio

    from datasette.app import Datasette

    db = tmp_path / "watch.db"
    run_demo(str(db), echo=lambda *a: None).close()

    async def fetch():
        ds = Datasette([str(db)])
        info = (await ds.client.get("/watch.json")).json()
        entries = (await ds.client.get(
            "/watch/new_entries_since.json?since=2023-07-01&_shape=array")).json()
        table = (await ds.client.get("/watch/change_feed")).text
        return info, entries, table

    info, entries, table = asyncio.run(fetch())
    assert {"new_entries_since", "revised_figures", "page_on_date", "failed_checks_since",
            "search_history"} <= {q["name"] for q in info["queries"]}
    assert any("11-12 July 2023" in e["section_path"] for e in entries)
    assert all(e["detected_at"] >= "2023-07-01" for e in entries)
    assert "Every recorded change" in table
