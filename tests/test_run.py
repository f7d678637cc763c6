"""`docwatch run` as operators run it: a real process, real APScheduler, real signals (issue 7)."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from docwatch.demo.history import urm_page, urm_text

from .daemon import Run
from .servers import Response, Server

PAGE = urm_page(urm_text("2024-07-15"), "2024-07-15")


@pytest.fixture
def server():
    with Server() as s:
        yield s


def source(name: str, url: str, schedule: str = 'every = "1s"') -> str:
    return f'[[source]]\nname = "{name}"\nurl = "{url}"\n{schedule}\n'


RUN = '[run]\ncatch_up = "1s"\nheartbeat = "1s"\ngrace = "3s"\n'


def test_two_sources_run_at_their_cadence_and_never_overlap(server, tmp_path):
    server.put("/fast", PAGE)
    server.put("/slow", Response(PAGE, delay=1.6))  # each check outlasts the 1 s interval
    run = Run(tmp_path, RUN + source("fast", server.url("/fast")) + source("slow", server.url("/slow")))
    try:
        server.wait("/fast", 5)
        server.wait("/slow", 2)
    finally:
        assert run.stop() == 0
    fast = server.requests["/fast"]
    gaps = [b - a for a, b in zip(fast, fast[1:])]
    assert all(0.7 < g < 1.8 for g in gaps), gaps  # every second (jitter: at most 5 %)
    assert server.max_in_flight["/slow"] == 1 and server.max_in_flight["/fast"] == 1
    slow = server.requests["/slow"]
    assert all(b - a >= 1.6 for a, b in zip(slow, slow[1:]))  # the next waits for the last
    checks = run.of("check", source="fast")
    assert checks[0]["result"] == "new" and {c["result"] for c in checks[1:]} == {"unchanged"}


def test_sigterm_during_a_slow_check_exits_within_5_seconds_leaving_a_sound_database(
        server, tmp_path):
    server.put("/page", PAGE)
    run = Run(tmp_path, RUN + source("page", server.url("/page"), 'every = "2s"'))
    run.wait("check", source="page", result="new")
    server.put("/page", Response(urm_page(urm_text("2025-07-01"), "2025-07-01"), delay=60))
    server.wait("/page", 2)  # the slow check is under way
    started = time.monotonic()
    run.signal(signal.SIGTERM)
    assert run.stop(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert run.of("stopped")[0]["abandoned"] == ["page"]
    conn = sqlite3.connect(run.db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("select count(*) from fetches").fetchone() == (1,)  # nothing half-kept
    assert conn.execute("select count(*) from snapshots").fetchone() == (1,)


def test_an_overdue_source_is_checked_once_at_start_and_a_fresh_one_waits(server, tmp_path):
    server.put("/old", PAGE)
    server.put("/fresh", PAGE)
    config = RUN + source("old", server.url("/old"), 'every = "1h"') + source(
        "fresh", server.url("/fresh"), 'every = "1h"')
    first = Run(tmp_path, config)
    first.wait("check", n=2)
    assert first.stop() == 0
    # Downtime: the last check of "old" was two hours ago, "fresh" was checked just now.
    conn = sqlite3.connect(first.db)
    conn.execute("""update fetches set started_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-2 hours')
                    where source_id = (select id from sources where name = 'old')""")
    conn.commit()
    conn.close()

    again = Run(tmp_path, config)
    try:
        again.wait("check", source="old")
        beats = len(again.of("heartbeat"))
        again.wait("heartbeat", n=beats + 2)  # two more seconds with nothing else due
    finally:
        assert again.stop() == 0
    assert server.count("/old") == 2 and server.count("/fresh") == 1
    scheduled = {e["source"]: e for e in again.of("scheduled")}
    assert scheduled["old"]["overdue"] and not scheduled["fresh"]["overdue"]


def test_sighup_reloads_sources_and_a_broken_config_keeps_the_old_schedule(server, tmp_path):
    for path in ("/a", "/b"):
        server.put(path, PAGE)
    run = Run(tmp_path, RUN + source("a", server.url("/a")))
    try:
        run.wait("check", source="a")
        run.config.write_text(RUN + source("a", server.url("/a"), "every = 'often'"), encoding="utf-8")
        run.signal(signal.SIGHUP)
        [failed] = run.wait("reload_failed")
        assert failed["message"].startswith("config not reloaded, keeping the running schedule: ")
        assert failed["message"].endswith("source 'a': every: 'often' is not a duration like "
                                          "'30m', '6h' or '1d'")
        done = server.count("/a")
        server.wait("/a", done + 2)  # still checked every second

        run.config.write_text(RUN + source("b", server.url("/b"), 'every = "1s"'), encoding="utf-8")
        run.signal(signal.SIGHUP)
        [reloaded] = run.wait("reloaded")
        assert reloaded["added"] == ["b"] and reloaded["removed"] == ["a"]
        after_reload = server.count("/a")
        server.wait("/b", 3)
        assert server.count("/a") <= after_reload + 1  # at most the check already under way
        assert len(run.of("reload_failed")) == 1
    finally:
        assert run.stop() == 0


def test_never_checked_sources_are_checked_at_once_at_their_own_cadence(server, tmp_path):
    """Two new pages every second with the default catch_up (1 minute): not left waiting it."""
    server.put("/a", PAGE)
    server.put("/b", PAGE)
    run = Run(tmp_path, source("a", server.url("/a")) + source("b", server.url("/b")))
    try:
        started = run.wait("scheduled", n=2)[0]  # the schedule is made: the clock starts
        t0 = time.monotonic()
        server.wait("/a", 4, timeout=10)
        server.wait("/b", 4, timeout=10)
        assert time.monotonic() - t0 < 7
    finally:
        assert run.stop() == 0
    assert started["overdue"]


def test_a_thousand_never_checked_sources_are_still_spread_over_catch_up():
    from datetime import datetime, timezone

    from docwatch.models import Source
    from docwatch.timetable import first_runs

    now = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
    sources = tuple(Source(f"p{k}", f"http://127.0.0.1/{k}", every="6h") for k in range(1000))
    due = sorted((t - now).total_seconds() for t in first_runs(sources, {}, now, "UTC", 60).values())
    assert due[0] == 0  # the first at once
    assert due[-1] < 60 and due[-1] > 59  # the last near the end of catch_up
    per_second = [sum(1 for d in due if s <= d < s + 1) for s in range(60)]
    assert max(per_second) <= 17  # evenly: no burst
    # a source checked every 10 s is spread over its 10 s, not over the minute
    fast = tuple(Source(f"f{k}", f"http://127.0.0.1/f{k}", every="10s") for k in range(5))
    assert max(first_runs(fast, {}, now, "UTC", 60).values()) - now <= timedelta(seconds=10)


def test_a_slow_alert_channel_never_holds_up_the_checks(server, httpserver, tmp_path):
    """A webhook that takes 3 s to answer: the page is still checked every second."""
    from werkzeug import Response as WerkzeugResponse

    posted = threading.Event()
    slow = threading.Event()  # never set: each answer takes its full 3 s

    def answer(request):
        posted.set()
        slow.wait(3)
        return WerkzeugResponse("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(answer)
    versions = iter(range(1, 100))

    def changing(handler) -> None:  # a new entry on every request: every check alerts
        body = urm_page(urm_text("2024-07-15") + f"<p>Visit number {next(versions)}.</p>",
                        "2024-07-15")
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.put("/page", Response(raw=changing))
    hook = f"json://127.0.0.1:{httpserver.port}/hook"
    run = Run(tmp_path, RUN + source("page", server.url("/page"))
              + f'[[notify]]\nurl = "{hook}"\n')
    try:
        run.wait("check", source="page", result="changed")
        t0 = time.monotonic()
        first = len(run.of("check", source="page"))
        run.wait("check", n=first + 4, source="page", timeout=10)
        took = time.monotonic() - t0
        assert posted.wait(10)  # the alerts are going out all the same
    finally:
        assert run.stop() == 0
    assert took < 6.5, took  # four more checks at the 1 s cadence, not one per slow delivery
