"""When each source falls due in `docwatch run`: one APScheduler job per schedule, and one-shot
catch-up checks at start.

Sources that share a schedule (the same `every`, or the same `cron`) are one job: they fall
due together and are checked together, as fast as their sites' `per_host` allows, as a cron
`fetch --once` checks them (with 1,000 sources on one interval, a job each cost APScheduler a
third of the process's time to fire, and drew the cycle out over the jitter). The job's jitter
(5 % of the interval, at most 5 minutes) moves the whole group, so that installations do not
all ask at the same moment.

At start (and for sources added on reload) a source that is overdue or was never checked is
checked once on its own, soon: the first at once, the others spread over `[run] catch_up` (or
their interval, when shorter), so that a restart, or a process restarting in a loop, never
sends every request at once. It then checks with its group. A group started by this process
takes its phase from its members' last checks: the earliest next check among them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import seconds
from .models import Source
from .times import from_iso

MAX_JITTER = 300.0  # seconds


def trigger(source: Source, tz: str = "UTC", start: datetime | None = None):
    """The APScheduler trigger of a source: `cron` if set, else `every` with a little jitter."""
    if source.cron:
        return CronTrigger.from_crontab(source.cron, timezone=tz)
    interval = seconds(source.every or "6h")
    return IntervalTrigger(seconds=interval, start_date=start, timezone=tz,
                           jitter=min(MAX_JITTER, interval * 0.05))


def first_runs(sources: tuple[Source, ...], last_checked: dict[str, str], now: datetime,
               tz: str, catch_up: float) -> dict[str, datetime]:
    """When each source should first run: overdue ones spread over `catch_up`, others when due."""
    due: dict[str, datetime] = {}
    overdue = []
    for source in sources:
        if _overdue(source, last_checked.get(source.name), now, tz):
            overdue.append(source)
        else:
            due[source.name] = _next_after(source, last_checked[source.name], tz)
    # The first overdue check starts at once; the others follow spread evenly over `catch_up`,
    # or over the source's own interval when that is shorter (a page checked every second is
    # not left waiting a minute for its first check).
    for k, source in enumerate(overdue):
        window = min(catch_up, _interval(source, now, tz))
        due[source.name] = now + timedelta(seconds=window * k / len(overdue))
    return due


def _overdue(source: Source, last: str | None, now: datetime, tz: str) -> bool:
    """Never checked, or its next check after the last one is past (or will never come)."""
    if last is None:
        return True
    nxt = _next_after(source, last, tz)
    return nxt is None or nxt <= now


def _next_after(source: Source, last: str, tz: str) -> datetime | None:
    last_at = from_iso(last)
    if source.cron:
        return CronTrigger.from_crontab(source.cron, timezone=tz).get_next_fire_time(None, last_at)
    return last_at + timedelta(seconds=seconds(source.every or "6h"))


def _interval(source: Source, now: datetime, tz: str) -> float:
    """Seconds between two checks of `source` (for a cron, between its next two times)."""
    if not source.cron:
        return float(seconds(source.every or "6h"))
    cron = CronTrigger.from_crontab(source.cron, timezone=tz)
    first = cron.get_next_fire_time(None, now)
    second = cron.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return (second - first).total_seconds() if first and second else float("inf")


def key_of(source: Source) -> str:
    """The job a source belongs to: "every 3600s" or "cron 0 7 * * 1-5"."""
    return f"cron {source.cron}" if source.cron else f"every {seconds(source.every or '6h')}s"


class Timetable:
    """The jobs that make sources fall due: `due(names)` is called from APScheduler's threads."""

    def __init__(self, scheduler: BaseScheduler, due: Callable[[list[str]], None], tz: str):
        self.scheduler = scheduler
        self.due = due
        self.tz = tz
        self.groups: dict[str, list[str]] = {}  # job id -> its sources, in config order
        self.group_of: dict[str, str] = {}
        self.catching_up: set[str] = set()  # sources with a one-shot check still to come
        self._lock = threading.Lock()

    def add(self, sources: Iterable[Source], last_checked: dict[str, str], catch_up: float,
            now: datetime | None = None) -> dict[str, tuple[datetime, bool]]:
        """Schedule `sources` (new, or changed: leave() them first); name -> (its next check,
        whether it is caught up on its own)."""
        sources = tuple(sources)
        now = now or datetime.now(timezone.utc)
        firsts = first_runs(sources, last_checked, now, self.tz, catch_up)
        told: dict[str, tuple[datetime, bool]] = {}
        starts: dict[str, list[Source]] = {}
        for source in sources:
            key = key_of(source)
            overdue = _overdue(source, last_checked.get(source.name), now, self.tz)
            with self._lock:
                self.groups.setdefault(key, []).append(source.name)
                self.group_of[source.name] = key
                if overdue:
                    self.catching_up.add(source.name)
            if overdue:
                self.scheduler.add_job(self._caught_up, DateTrigger(firsts[source.name]),
                                       args=[source.name], id=_catch_up_id(source.name),
                                       replace_existing=True)
            starts.setdefault(key, []).append(source)
            told[source.name] = (firsts[source.name], overdue)
        for key, members in starts.items():
            if self.scheduler.get_job(key) is None:  # a group already running keeps its phase
                later = [firsts[s.name] for s in members if not told[s.name][1]]
                first = min(later) if later else None
                # Without a first time, APScheduler's: an interval from now, the next cron time.
                when = {"next_run_time": first} if first else {}
                self.scheduler.add_job(self._fire, trigger(members[0], self.tz, start=first),
                                       args=[key], id=key, name=key, **when)
        return told

    def leave(self, names: Iterable[str]) -> None:
        """Unschedule sources (removed from the config, or about to be added anew)."""
        for name in names:
            with self._lock:
                key = self.group_of.pop(name, None)
                members = self.groups.get(key, [])
                if name in members:
                    members.remove(name)
                empty = key is not None and not members
                if empty:
                    del self.groups[key]
                caught = name in self.catching_up
                self.catching_up.discard(name)
            if empty:
                self.scheduler.remove_job(key)
            if caught and self.scheduler.get_job(_catch_up_id(name)):
                self.scheduler.remove_job(_catch_up_id(name))

    def next_run(self, name: str) -> datetime | None:
        job_id = _catch_up_id(name) if name in self.catching_up else self.group_of.get(name)
        job = self.scheduler.get_job(job_id) if job_id else None
        return job.next_run_time if job else None

    def upcoming(self) -> tuple[str, datetime] | None:
        """The next job to fire: (its id, when)."""
        jobs = [j for j in self.scheduler.get_jobs() if j.next_run_time]
        job = min(jobs, key=lambda j: j.next_run_time, default=None)
        return (job.id, job.next_run_time) if job else None

    def _fire(self, key: str) -> None:
        with self._lock:
            names = [n for n in self.groups.get(key, ()) if n not in self.catching_up]
        self.due(names)

    def _caught_up(self, name: str) -> None:
        with self._lock:
            self.catching_up.discard(name)
        self.due([name])


def _catch_up_id(name: str) -> str:
    return f"catch-up {name}"
