"""How `docwatch run` makes sources due (issue 39): one job per schedule, the due sources taken
a site at a time in turn, never two checks of a source at once. A real APScheduler scheduler."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from docwatch.due import Due
from docwatch.models import Source
from docwatch.timetable import Timetable
from docwatch.times import to_iso


@pytest.fixture
def scheduler():
    """A real scheduler, started paused: a test adds its jobs, then resumes it."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def test_due_sources_are_taken_a_site_at_a_time_in_turn():
    due = Due()
    # In config order: five pages of one site, then one of another, as configs are written.
    due.put_many([(f"a{k}", "a.example") for k in range(5)] + [("b0", "b.example")])
    taken = [due.take() for _ in range(3)]
    assert taken == ["a0", "b0", "a1"]  # the other site's page is not left behind the five


def test_a_source_falling_due_while_it_waits_or_runs_is_merged_into_that_check():
    due = Due()
    assert due.put_many([("a", "x"), ("b", "x")]) == 2
    assert due.take() == "a"  # a runs, b waits
    assert due.put_many([("a", "x"), ("b", "x")]) == 0
    assert due.counts() == (["a"], 1, 2)  # running, waiting, merged (then reset)
    due.done("a")
    assert due.put_many([("a", "x")]) == 1  # done: due again
    assert due.counts() == ([], 2, 0)


def test_closing_releases_the_threads_and_drops_what_waits():
    due = Due()
    got: list[str | None] = []
    taker = threading.Thread(target=lambda: got.append(due.take()))
    taker.start()
    due.close()
    taker.join(5)
    assert got == [None]
    assert due.put_many([("a", "x")]) == 0


def test_sources_on_one_schedule_are_one_job_and_fall_due_together(scheduler):
    fired: list[list[str]] = []
    both = threading.Event()

    def due(names: list[str]) -> None:
        fired.append(names)
        if len(fired) >= 2:
            both.set()

    timetable = Timetable(scheduler, due, "UTC")
    now = datetime.now(timezone.utc)
    sources = [Source(f"p{k}", f"http://127.0.0.{k % 10 + 1}/{k}", every="1s")
               for k in range(1000)]
    slow = [Source(f"s{k}", f"http://127.0.0.1/s{k}", every="6h") for k in range(3)]
    checked = {s.name: to_iso(now) for s in sources + slow}  # all just checked: none overdue
    told = timetable.add(sources + slow, checked, catch_up=60, now=now)
    assert not any(overdue for _, overdue in told.values())
    assert sorted(j.id for j in scheduler.get_jobs()) == ["every 1s", "every 21600s"]
    scheduler.resume()
    assert both.wait(10)
    assert timetable.next_run("s0") > now + timedelta(hours=5)
    assert fired[0] == [s.name for s in sources]  # all thousand at once, in config order


def test_an_overdue_source_is_caught_up_on_its_own_then_checks_with_its_group(scheduler):
    fired: list[list[str]] = []
    seen = threading.Event()

    def due(names: list[str]) -> None:
        fired.append(names)
        if names == ["old", "fresh"]:
            seen.set()

    timetable = Timetable(scheduler, due, "UTC")
    now = datetime.now(timezone.utc)
    old, fresh = (Source(name, f"http://127.0.0.1/{name}", every="1s") for name in ("old", "fresh"))
    told = timetable.add([old, fresh], {"fresh": to_iso(now)}, catch_up=60, now=now)
    assert told["old"][1] and not told["fresh"][1]
    assert "old" in timetable.catching_up
    scheduler.resume()
    assert seen.wait(10), fired
    assert fired[0] == ["old"]  # caught up on its own, at once; then with the group
    assert "old" not in timetable.catching_up


def test_leaving_removes_an_empty_group_and_a_pending_catch_up(scheduler):
    timetable = Timetable(scheduler, lambda names: None, "UTC")
    timetable.add([Source("a", "http://127.0.0.1/a", every="1h")], {}, catch_up=60)
    assert sorted(j.id for j in scheduler.get_jobs()) == ["catch-up a", "every 3600s"]
    timetable.leave(["a"])
    assert scheduler.get_jobs() == []
    assert timetable.next_run("a") is None
