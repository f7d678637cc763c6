"""What an operator meets: `docwatch run` and a cron `fetch --once` on one database at once,
SIGKILL during `reparse` and during a schema upgrade, a full disk, a feed file replaced
whole. Real processes, real signals, real SQLite files."""

from __future__ import annotations

import json
import random
import re
import resource
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter

from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from docwatch.demo.replay import run_demo
from docwatch.migrations import LATEST

from .conftest import EXE, as_schema, run_cli
from .daemon import Run
from .pathological import paragraphs
from .servers import Response, Server
from .test_crash import version


def growing(server: Server, path: str, every: int = 2, delay: float = 0.4):
    """A slow page that gains a dated entry every `every` requests of it: two checks that
    overlap (run's and cron's) read the same new version."""
    def answer(handler) -> None:
        body = version(server.count(path) // every + 1)
        server.closing.wait(delay)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return answer


def test_run_and_a_cron_fetch_on_one_database_record_each_change_and_alert_once(
        tmp_path, httpserver: HTTPServer):
    posts: list[str] = []
    lock = threading.Lock()

    def receive(request):
        with lock:
            posts.append(json.loads(request.data)["message"])
        return WerkzeugResponse("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    with Server() as site:
        names = ("a", "b", "c")
        for name in names:
            site.put(f"/{name}", Response(raw=growing(site, f"/{name}")))
        config = ('[run]\ncatch_up = "1s"\nheartbeat = "1s"\n[fetch]\nretries = 0\n'
                  f'[[notify]]\nurl = "json://127.0.0.1:{httpserver.port}/hook"\n' + "".join(
                      f'[[source]]\nname = "{n}"\nurl = "{site.url("/" + n)}"\nevery = "1s"\n'
                      for n in names))
        run = Run(tmp_path, config)
        cron = []
        try:
            run.wait("check", source="a")
            for _ in range(8):  # cron, meanwhile, on the same database and pages
                cron.append(run_cli("--db", str(run.db), "--config", str(run.config), "fetch",
                                    "--once"))
            run.wait("heartbeat", n=len(run.of("heartbeat")) + 1)
        finally:
            assert run.stop() == 0
    for result in cron:
        assert result.returncode == 0, result.stderr
        assert "locked" not in result.stderr
    assert not [e for e in run.events if "locked" in json.dumps(e)]

    conn = sqlite3.connect(run.db)
    entries = Counter(conn.execute(
        "SELECT source, new_text FROM change_feed WHERE category = 'new_entry'").fetchall())
    assert entries and max(entries.values()) == 1  # no change recorded twice
    seen = {n: conn.execute("SELECT count(*) FROM change_feed WHERE source = ? AND category = "
                            "'new_entry'", [n]).fetchone()[0] for n in names}
    # every entry each page gained after its first version was recorded (none lost either)
    for n in names:
        last = conn.execute("SELECT max(s.id) FROM snapshots s JOIN sources ON sources.id = "
                            "s.source_id WHERE sources.name = ?", [n]).fetchone()[0]
        text = conn.execute("SELECT group_concat(text, ' ') FROM snapshot_sections WHERE "
                            "snapshot_id = ?", [last]).fetchone()[0]
        held = len(re.findall(r"Exercise number \d+ was held", text))
        assert seen[n] == held - 1
    # each alert went out once
    alerted = Counter(m for post in posts for m in re.findall(r"Exercise number \d+ was held",
                                                                post))
    assert sum(seen.values()) == sum(alerted.values())
    statuses = Counter(s for s, in conn.execute("SELECT status FROM deliveries"))
    assert set(statuses) == {"sent"}
    conn.close()
    # and the write-ahead log was folded back, not left to grow
    wal = run.db.with_name(run.db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size < 512 * 1024


def _kill_at_random(args: list[str], rng: random.Random, longest: float) -> int:
    return _kill_at(args, rng.uniform(0, longest))


def _kill_at(args: list[str], deadline: float) -> int:
    proc = subprocess.Popen([str(EXE), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    return proc.wait()


def _dump(db) -> dict:
    conn = sqlite3.connect(db)
    tables = [t for t, in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' "
        "ORDER BY name")]
    out = {t: sorted(map(repr, conn.execute(f"SELECT * FROM [{t}]"))) for t in tables}
    out["version"] = conn.execute("PRAGMA user_version").fetchone()[0]
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    return out


def test_sigkill_during_reparse_leaves_the_history_as_before_or_rebuilt(tmp_path):
    db = tmp_path / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE snapshots SET parsed_with = 'an older parser'")
    conn.commit()
    conn.close()
    before = _dump(db)
    done = tmp_path / "done.db"
    done.write_bytes(db.read_bytes())
    assert run_cli("--db", str(done), "reparse").returncode == 0
    after = _dump(done)
    assert after != before
    rng = random.Random(7)
    outcomes = Counter()
    for _ in range(8):
        copy = tmp_path / "copy.db"
        copy.write_bytes(db.read_bytes())
        code = _kill_at_random(["--db", str(copy), "reparse"], rng, 1.5)
        state = _dump(copy)
        # each source is rebuilt in one transaction: before, after, or one source rebuilt
        assert state == before or state == after or _one_source_rebuilt(state, before, after)
        outcomes["killed" if code == -signal.SIGKILL else "finished"] += 1
        for suffix in ("", "-wal", "-shm"):
            copy.with_name(copy.name + suffix).unlink(missing_ok=True)
    assert outcomes["killed"]


def _one_source_rebuilt(state: dict, before: dict, after: dict) -> bool:
    """The kill came between the two sources' transactions."""
    return all(set(state[t]) <= set(before[t]) | set(after[t]) for t in state if t != "version")


def test_sigkill_during_a_schema_upgrade_leaves_it_as_before_or_fully_upgraded(tmp_path):
    db = tmp_path / "old.db"
    run_demo(str(db), echo=lambda *a: None).close()
    conn = sqlite3.connect(db)  # back to schema 4, with enough rows for the upgrade to take time
    as_schema(conn, 4)
    conn.execute("UPDATE fetches SET result = 'changed' WHERE result = 'noise_only'")
    conn.executemany("INSERT INTO fetches (source_id, started_at, duration_ms, result, changes) "
                     "VALUES (1, '2020-01-01T00:00:00Z', 5, 'changed', 0)", [()] * 200_000)
    conn.commit()
    conn.close()
    before = _dump(db)
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    started = time.monotonic()
    assert run_cli("--db", str(copy), "changes").returncode == 0
    whole = time.monotonic() - started  # start, upgrade, answer: kills fall across all of it
    rng = random.Random(11)
    seen = Counter()
    # Kills spread over the run, then later ones until a run is seen past the commit: a loaded
    # machine can make every run slower than the one measured.
    deadlines = [whole * (i + rng.random()) / 10 for i in range(10)]
    deadlines += [whole * f for f in (1.5, 2, 3, 5, 8)]
    for i, deadline in enumerate(deadlines):
        if i >= 10 and seen[LATEST]:
            break
        copy.write_bytes(db.read_bytes())
        _kill_at(["--db", str(copy), "changes"], deadline)
        state = _dump(copy)
        assert state["version"] in (4, LATEST)
        if state["version"] == 4:
            assert state == before
        else:
            assert "made_by" in state and not any("'changed', 0" in r for r in state["fetches"])
        seen[state["version"]] += 1
        for suffix in ("", "-wal", "-shm"):
            copy.with_name(copy.name + suffix).unlink(missing_ok=True)
    assert seen[4] and seen[LATEST], seen  # kills fell on both sides of the commit


def _file_size_cap(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_while_recording_is_one_line_and_the_database_stays_intact(
        tmp_path, write_config):
    with Server() as site:
        site.put("/small", b"<html><body><h1>Small</h1><p>The share is 2.5 %.</p></body></html>")
        site.put("/big", paragraphs(20_000))
        small = f'[[source]]\nname = "small"\nurl = "{site.url("/small")}"\n'
        db = tmp_path / "w.db"
        assert run_cli("--db", str(db), "--config", str(write_config(small)), "fetch",
                       "--once").returncode == 0
        before = _dump(db)
        config = write_config(small + f'[[source]]\nname = "big"\nurl = "{site.url("/big")}"\n')
        result = subprocess.run([str(EXE), "--db", str(db), "--config", str(config), "fetch",
                                 "--once"], capture_output=True, text=True, timeout=120,
                                preexec_fn=_file_size_cap(db.stat().st_size + 200_000))
        after = _dump(db)
        # with room again, the page is recorded
        again = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert again.returncode == 0, again.stderr
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"docwatch: big: {db}: cannot write (")
    assert line.endswith("is the disk full or read-only? Nothing of this check was kept; the "
                         "database is as it was [storage]")
    assert after["snapshots"] == before["snapshots"] and after["changes"] == before["changes"]


def test_feed_output_is_replaced_whole_or_left_as_it_was(tmp_path):
    db = tmp_path / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    feed = tmp_path / "feed.xml"
    feed.write_text("<feed>the previous one</feed>")
    result = subprocess.run([str(EXE), "--db", str(db), "feed", "-o", str(feed)],
                            capture_output=True, text=True, timeout=60,
                            preexec_fn=_file_size_cap(33 * 1024))  # SQLite's 32 KB index fits; the feed not
    assert result.returncode == 1
    assert result.stderr.startswith(f"docwatch: {feed}: cannot write the feed (")
    assert len(result.stderr.splitlines()) == 1
    assert feed.read_text() == "<feed>the previous one</feed>"
    assert sorted(p.name for p in tmp_path.iterdir() if "feed" in p.name) == ["feed.xml"]
    assert run_cli("--db", str(db), "feed", "-o", str(feed)).returncode == 0
    assert feed.read_text().startswith("<?xml") and feed.stat().st_size > 33 * 1024


def test_sigkill_while_a_large_first_cycle_is_being_written_keeps_every_stored_check_once(
        tmp_path):
    """600 new pages: the writer commits them in batches of dozens, back to back. The whole
    run (its workers too) is killed at random moments while it writes; what a batch had
    committed stays, whole (its sections, passages, full-text index), nothing is stored
    twice, and the next run records exactly the pages not stored yet."""
    import os

    from docwatch.demo.history import urm_page, urm_text

    rng = random.Random(2030)
    pages = 600
    page = urm_page(urm_text("2023-07-20"), "2023-07-20")
    db = tmp_path / "w.db"
    with Server() as site:
        for k in range(pages):
            site.put(f"/p/{k}", Response(page.replace(b"</h1>", f" {k}</h1>".encode(), 1)))
        (tmp_path / "w.toml").write_text("[fetch]\nconcurrency = 60\nper_host = 60\n" + "".join(
            f'[[source]]\nname = "p{k}"\nurl = "{site.url(f"/p/{k}")}"\n' for k in range(pages)))
        args = [str(EXE), "--db", str(db), "--config", str(tmp_path / "w.toml"), "fetch", "--once"]
        stored_before: set[int] = set()
        for _ in range(3):
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            target = len(stored_before) + rng.randint(70, 150)  # a few batches into the run
            while proc.poll() is None and _count(db, "fetches") < target:
                threading.Event().wait(0.005)  # the database is the only news from there
            os.killpg(proc.pid, signal.SIGKILL)
            assert proc.wait() == -signal.SIGKILL  # killed mid-run, not after its end
            stored = _stored(db)
            assert stored_before <= stored  # nothing committed was lost
            stored_before = stored
        versions = _count(db, "snapshots")
        assert versions < pages
        final = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    lines = final.stdout.splitlines()
    assert sum(line.endswith(": first snapshot recorded") for line in lines) == pages - versions
    assert sum(line.endswith(": no change") for line in lines) == versions
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)")
    assert conn.execute("SELECT count(DISTINCT source_id), count(*) FROM snapshots").fetchone() \
        == (pages, pages)  # one version each: none stored twice
    # every version whole: its sections and passages, like every other version's
    assert {n for n, in conn.execute("SELECT count(*) FROM snapshot_sections GROUP BY "
                                      "snapshot_id")} == {conn.execute(
        "SELECT count(*) FROM snapshot_sections WHERE snapshot_id = 1").fetchone()[0]}
    assert conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH "
                        "'Lithuania'").fetchone()[0] >= pages


def _count(db, table: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet
        return 0


def _stored(db) -> set[int]:
    """The fetch rows committed, checked whole: each with its snapshot, sections and
    full-text index."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)")
        assert conn.execute("SELECT count(*) FROM fetches WHERE snapshot_id IS NULL").fetchone() \
            == (0,)
        return {i for i, in conn.execute("SELECT id FROM fetches")}
    finally:
        conn.close()
