"""Many sources at once: worker processes fetch, parse and diff; this process alone writes.

Real forks, real servers on 127.0.0.1, a real SQLite file.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading

import sqlite_utils

from docwatch.models import FetchSettings, Source
from docwatch.pipeline import PROCESS_MIN_SOURCES, check_all
from docwatch.store import Store

from .servers import Response, Server

PAGES = 240  # over PROCESS_MIN_SOURCES: the run goes to worker processes


def page(k: int, share: str) -> bytes:
    return (f"<html><head><title>Page {k}</title></head><body><h1>Page {k}</h1>"
            f"<p>Defence spending will reach {share} % of GDP by 2030.</p>"
            f"<p>Partners: Latvia, Estonia, Poland.</p></body></html>").encode()


def served(server: Server, n: int, delay: float = 0.0) -> list[Source]:
    """`n` pages on one site, each a source."""
    for k in range(n):
        server.put(f"/p/{k}", Response(page(k, "2.5"), delay=delay))
    return [Source(f"p{k}", server.url(f"/p/{k}")) for k in range(n)]


def sites(a: Server, b: Server) -> list[Source]:
    """Two sites of unequal size (160 and 80 pages) and one page that is gone."""
    sources = []
    for k in range(PAGES):
        site = a if k % 3 else b
        site.put(f"/p/{k}", page(k, "2.5"))
        sources.append(Source(f"p{k}", site.url(f"/p/{k}")))
    return sources + [Source("gone", a.url("/missing"))]


def test_worker_processes_observe_and_one_process_stores_each_check_once(tmp_path):
    assert PAGES >= PROCESS_MIN_SOURCES
    settings = FetchSettings(concurrency=16, per_host=4, processes=2)
    with Server() as a, Server() as b:
        sources = sites(a, b)
        store = Store(tmp_path / "w.db")
        first = check_all(sources, store, settings=settings, deliver=False)
        assert [r.source for r in first] == [s.name for s in sources]  # the sources' order
        assert [r.status for r in first] == ["new"] * PAGES + ["error"]
        assert first[-1].error_kind == "gone"
        # Each site's pages were dealt over both workers: each worker read robots.txt once
        # (not once per thread that started on the site at the same moment).
        assert a.count("/robots.txt") == b.count("/robots.txt") == 2

        revised = {f"p{k}" for k in range(0, PAGES, 10)}
        for k in range(0, PAGES, 10):
            (a if k % 3 else b).put(f"/p/{k}", page(k, "3"))
        second = check_all(sources, store, settings=settings, deliver=False)

        # The second run used the rules the first one read; between them the workers never
        # exceeded a site's limit.
        assert a.count("/robots.txt") == b.count("/robots.txt") == 2
        assert a.max_in_flight_total <= 4 and b.max_in_flight_total <= 4
    assert {r.source for r in second if r.status == "changed"} == revised
    assert {r.source for r in second if r.status == "unchanged"} == (
        {s.name for s in sources} - revised - {"gone"})
    for r in second:
        if r.status == "changed":
            assert [(c.category, c.figures) for c in r.alerts] == [
                ("revised_figure", [{"old": "2.5 %", "new": "3 %"}])]
            assert r.snapshot_id and store.snapshot_info(r.snapshot_id)["title"] == (
                f"Page {r.source[1:]}")
    db = sqlite_utils.Database(tmp_path / "w.db")
    assert db.execute("SELECT count(*) FROM fetches").fetchone()[0] == 2 * len(sources)
    assert db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == PAGES + len(revised)
    per_source = dict(db.execute(
        "SELECT sources.name, count(*) FROM changes JOIN sources ON sources.id = source_id "
        "GROUP BY sources.name").fetchall())
    assert per_source == {name: 1 for name in revised}


def test_the_parent_of_the_workers_never_loads_the_parser(tmp_path):
    """The parser (lxml, Babel's data, the readers) is loaded by each worker's parse thread
    while its first requests are out: a run's first request waits for none of it."""
    script = (
        "import sys\n"
        "from docwatch.models import FetchSettings, Source\n"
        "from docwatch.pipeline import check_all\n"
        "from docwatch.store import Store\n"
        "sources = [Source(f'p{k}', f'{sys.argv[1]}/p/{k}') for k in range(int(sys.argv[2]))]\n"
        "results = check_all(sources, Store(sys.argv[3]), deliver=False,\n"
        "                    settings=FetchSettings(concurrency=8, per_host=4, processes=2))\n"
        "print(sorted({r.status for r in results}))\n"
        "print(sorted(m for m in ('lxml.etree', 'docwatch.parsing', 'docwatch.diffing')\n"
        "             if m in sys.modules))\n")
    with Server() as server:
        for k in range(PROCESS_MIN_SOURCES):
            server.put(f"/p/{k}", page(k, "2.5"))
        run = subprocess.run([sys.executable, "-c", script, server.url(""),
                              str(PROCESS_MIN_SOURCES), str(tmp_path / "w.db")],
                             capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["['new']", "[]"]


def test_a_site_with_a_minimum_delay_stays_whole_in_one_worker(tmp_path):
    settings = FetchSettings(concurrency=16, per_host=4, processes=2, min_delay=0.001)
    with Server() as a, Server() as b:
        sources = sites(a, b)
        results = check_all(sources, Store(tmp_path / "w.db"), settings=settings,
                            deliver=False)
        assert a.count("/robots.txt") == b.count("/robots.txt") == 1
    assert [r.status for r in results] == ["new"] * PAGES + ["error"]


def test_a_worker_that_dies_fails_only_the_checks_it_had_not_sent(tmp_path, caplog):
    """SIGKILL one worker mid-run: the run still ends, what the workers sent is stored, and
    the dead worker's other sources are reported as internal errors (nothing half-written)."""
    killed = threading.Event()

    def kill_a_worker(handler) -> None:
        if not killed.is_set():
            killed.set()
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
        body = page(0, "2.5")
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    settings = FetchSettings(concurrency=8, per_host=4, processes=2)
    with Server() as a, Server() as b:
        sources = sites(a, b)
        a.put("/p/100", Response(raw=kill_a_worker))
        results = check_all(sources, Store(tmp_path / "w.db"), settings=settings,
                            deliver=False)
    assert killed.is_set()
    lost = [r for r in results if r.error_kind == "internal"]
    assert lost and all(r.error == "not checked: its worker process died (killed by signal 9)"
                        for r in lost)
    assert len(lost) < PAGES  # the other worker's checks all went through
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line.startswith(f"a worker process died (killed by signal 9); {len(lost)} of its ")
    stored = [r for r in results if r.status == "new"]
    db = sqlite_utils.Database(tmp_path / "w.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == len(stored)
    assert db.execute("SELECT count(*) FROM fetches").fetchone()[0] == len(results) - len(lost)


def test_threads_take_the_sites_in_turn(tmp_path):
    """Sources listed site by site still keep every site busy: while the first site's limit
    holds its third page back, the second site's first page is already being fetched."""
    settings = FetchSettings(concurrency=4, per_host=2, processes=1)
    with Server() as a, Server() as b:
        sources = []
        for site, name in ((a, "a"), (b, "b")):
            for k in range(6):
                site.put(f"/{k}", Response(page(k, "2.5"), delay=0.2))
                sources.append(Source(f"{name}{k}", site.url(f"/{k}")))
        results = check_all(sources, Store(tmp_path / "w.db"), settings=settings,
                            deliver=False)
        assert b.requests["/0"][0] < a.requests["/2"][0]
    assert [r.status for r in results] == ["new"] * 12


def test_a_process_parses_one_page_at_a_time_on_one_thread_however_many_checks_fetch(
        tmp_path, monkeypatch):
    """The GIL runs one parse at a time anyway: checks that parse together only hold their
    page trees in memory at once (a hundred fetch threads, a hundred trees), and every thread
    that parses keeps libxml2 state of its own."""
    from docwatch import parsing

    real, lock, inside, most = parsing.parse, threading.Lock(), [0], [0]
    another = threading.Event()
    threads = set()

    def watched(*args, **kwargs):
        with lock:
            threads.add(threading.get_ident())
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            if inside[0] > 1:
                another.set()
        another.wait(0.05)  # long enough for another check to start parsing, if it may
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(parsing, "parse", watched)
    with Server() as server:
        sources = served(server, 12)
        results = check_all(sources, Store(tmp_path / "w.db"),
                            settings=FetchSettings(concurrency=12, per_host=12, processes=1))
    assert [r.status for r in results] == ["new"] * 12
    assert most[0] == 1 and len(threads) == 1


def test_pages_seen_for_the_first_time_are_checked_a_bounded_number_at_once(tmp_path):
    """A new page is always parsed, by the process's one parse thread: more of them fetched
    at once would only wait there, each holding its page. Known pages (mostly 304s) are not
    held back."""
    from docwatch.fetch import Fetcher
    from docwatch.pipeline import NEW_PAGES_AT_ONCE

    n = NEW_PAGES_AT_ONCE + 28
    settings = FetchSettings(concurrency=n, per_host=n, retries=0)
    store = Store(tmp_path / "w.db")
    with Server() as site:
        sources = served(site, n, delay=0.3)  # all of them in flight at once, if they may
        with Fetcher(settings) as fetcher:
            first = check_all(sources, store, fetcher=fetcher, settings=settings)
        new_at_once, site.max_in_flight_total = site.max_in_flight_total, 0
        with Fetcher(settings) as fetcher:
            again = check_all(sources, store, fetcher=fetcher, settings=settings)
    assert [r.status for r in first] == ["new"] * n
    assert [r.status for r in again] == ["unchanged"] * n
    assert new_at_once <= NEW_PAGES_AT_ONCE
    assert site.max_in_flight_total > NEW_PAGES_AT_ONCE


def test_what_crosses_the_pipes_pickles_without_dataclass_reflection(monkeypatch):
    """Sources and states go down to the workers, parsed pages and changes come back up,
    pickled: each slotted dataclass as the tuple of its values, never by asking `fields()`
    per object (that was half the cost of a page's trip)."""
    import dataclasses
    import pickle

    from docwatch.diffing import diff
    from docwatch.models import CheckResult, ParseRules, Previous, SourceState
    from docwatch.parsing import parse

    old = parse(page(1, "2.5"), url="http://127.0.0.1/p/1")
    new = parse(page(1, "3"), url="http://127.0.0.1/p/1")
    changes = tuple(diff(old, new))
    assert changes
    crossing = [
        Source("p1", "http://127.0.0.1/p/1", rules=ParseRules(content="main", lang="lt"),
               tags=("nato",)),
        SourceState(Previous(7, "abc", '"e1"', None, "v1"), failures=2, last_kind="timeout"),
        new, changes, CheckResult("p1", "changed", changes, snapshot_id=8),
    ]

    def reflected(*_):
        raise AssertionError("dataclasses.fields() called while pickling")

    monkeypatch.setattr(dataclasses, "fields", reflected)
    for value in crossing:
        assert pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) == value
