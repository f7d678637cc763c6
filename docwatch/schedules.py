"""`docwatch run`: each source on its own APScheduler schedule, until stopped.

- A source runs on `every` (an interval, with a little jitter) or `cron` (in the config's
  `timezone`); APScheduler never runs two checks of one source at once (`max_instances=1`),
  coalesces missed runs into one and tolerates a late start (`misfire_grace_time`).
- Catch-up comes from the store, not a separate job store: at start a source whose last check
  is older than its interval (or that was never checked) is checked once, soon; the first at
  once, the others spread over `[run] catch_up` (or their interval, when shorter). The others keep their rhythm from their last check.
- SIGHUP reloads the config: sources are added, removed and rescheduled; running checks finish;
  a broken file keeps the old schedule and logs one error line. SIGINT/SIGTERM stop: no new
  check starts, running ones get `[run] grace` seconds, then the process exits. A check writes
  in one transaction, so one cut short leaves nothing behind.
- Alerts leave from a sender thread of their own, woken after each check and at each
  heartbeat: a channel that is slow or down never holds up the checks.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import notify, pipeline
from .fetch import Fetcher
from .config import Config, seconds
from .errors import ConfigError
from .models import Source
from .store import Store
from .times import from_iso, to_iso

log = logging.getLogger("docwatch.run")

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
    by_name = {s.name: s for s in sources}
    for source in sources:
        last = last_checked.get(source.name)
        if last is None:
            overdue.append(source.name)
            continue
        last_at = from_iso(last)
        if source.cron:
            nxt = CronTrigger.from_crontab(source.cron, timezone=tz).get_next_fire_time(None, last_at)
        else:
            nxt = last_at + timedelta(seconds=seconds(source.every or "6h"))
        if nxt is None or nxt <= now:
            overdue.append(source.name)
        else:
            due[source.name] = nxt
    # The first overdue check starts at once; the others follow spread evenly over `catch_up`,
    # or over the source's own interval when that is shorter (a page checked every second is
    # not left waiting a minute for its first check).
    for k, name in enumerate(overdue):
        window = min(catch_up, _interval(by_name[name], now, tz))
        due[name] = now + timedelta(seconds=window * k / len(overdue))
    return due


def _interval(source: Source, now: datetime, tz: str) -> float:
    """Seconds between two checks of `source` (for a cron, between its next two times)."""
    if not source.cron:
        return float(seconds(source.every or "6h"))
    cron = CronTrigger.from_crontab(source.cron, timezone=tz)
    first = cron.get_next_fire_time(None, now)
    second = cron.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return (second - first).total_seconds() if first and second else float("inf")


class Runner:
    """The scheduler, its config, and the signals that steer it."""

    def __init__(self, config: Config, db_path: str, load: Callable[[], Config]):
        self.config = config
        self.db_path = db_path
        self.load = load
        self.local = threading.local()  # one SQLite connection per worker thread
        self.running: set[str] = set()
        self.running_lock = threading.Condition()
        self.wake = threading.Event()
        self.outbox = threading.Event()  # something may be due to send
        self.finishing = threading.Event()  # the checks are over: one last round of sending
        self.stop_requested = False
        self.reload_requested = False
        self.fetcher = Fetcher(config.fetch)  # one client for the process: keep-alive
        self.scheduler = BackgroundScheduler(timezone=config.timezone, job_defaults={
            "max_instances": 1, "coalesce": True, "misfire_grace_time": 3600})

    # --- checks ---------------------------------------------------------------------------
    def store(self) -> Store:
        if getattr(self.local, "store", None) is None:
            self.local.store = Store(self.db_path)
        return self.local.store

    def check(self, name: str) -> None:
        source = next((s for s in self.config.sources if s.name == name), None)
        if source is None or self.stop_requested:
            return
        with self.running_lock:
            self.running.add(name)
        started = time.monotonic()
        try:
            store = self.store()
            [result] = pipeline.check_all([source], store, targets=self.config.notify,
                                          fetcher=self.fetcher, tz=self.config.timezone,
                                          deliver=False)
            self.outbox.set()  # the sender takes it from here: a slow channel holds no check
            fields = {"source": name, "result": result.status, "changes": len(result.changes),
                      "alerts": len(result.alerts),
                      "duration_ms": int((time.monotonic() - started) * 1000)}
            if result.ok:
                log.info("%s: %s, %d change(s)", name, result.status, len(result.changes),
                         extra={"event": "check", **fields})
            else:
                log.warning("%s: %s [%s]", name, result.error, result.error_kind,
                            extra={"event": "check", **fields, "error_kind": result.error_kind,
                                   "error": result.error})
            self.record_next_runs([source])
        finally:
            with self.running_lock:
                self.running.discard(name)
                self.running_lock.notify_all()

    def send(self) -> None:
        """The sender thread: what is due in the outbox, after each check and at each
        heartbeat (digests fall due on the hour), one delivery round at a time."""
        store = Store(self.db_path)
        try:
            while True:
                self.outbox.wait(self.config.run.heartbeat)
                self.outbox.clear()
                notify.deliver_pending(store, self.config.notify,
                                       base_url=self.config.run.base_url)
                if self.finishing.is_set():
                    return  # that was the round after the last check: its alerts went too
        finally:
            store.close()

    def record_next_runs(self, sources: list[Source] | tuple[Source, ...]) -> None:
        schedule = []
        for source in sources:
            job = self.scheduler.get_job(source.name)
            at = job.next_run_time if job else None
            schedule.append((source, to_iso(at) if at else None))
        self.store().set_next_run(schedule)

    # --- schedule -------------------------------------------------------------------------
    def schedule(self, sources: tuple[Source, ...]) -> None:
        """Add jobs for `sources`, first runs from the store (catch-up)."""
        now = datetime.now(timezone.utc)
        firsts = first_runs(sources, self.store().last_checked(), now, self.config.timezone,
                            self.config.run.catch_up)
        for source in sources:
            first = firsts[source.name]
            self.scheduler.add_job(
                self.check, trigger(source, self.config.timezone, start=first),
                args=[source.name], id=source.name, name=source.name,
                next_run_time=first, replace_existing=True)
            overdue = first <= now + timedelta(seconds=self.config.run.catch_up)
            log.info("%s: next check %s%s", source.name, first.isoformat(timespec="seconds"),
                     " (overdue: catching up)" if overdue else "",
                     extra={"event": "scheduled", "source": source.name,
                            "next_run": first.isoformat(), "overdue": overdue})
        self.record_next_runs(sources)

    def reload(self) -> None:
        try:
            new = self.load()
        except ConfigError as e:
            log.error("config not reloaded, keeping the running schedule: %s", e,
                      extra={"event": "reload_failed"})
            return
        old = {s.name: s for s in self.config.sources}
        fresh = {s.name: s for s in new.sources}
        removed = [n for n in old if n not in fresh]
        added = [s for n, s in fresh.items() if n not in old]
        changed = [s for n, s in fresh.items() if n in old and old[n] != s]
        self.config = new  # running checks finish with the source they started with
        for name in removed:
            self.scheduler.remove_job(name)
        self.schedule(tuple(added + changed))
        log.info("config reloaded: %d added, %d removed, %d rescheduled", len(added),
                 len(removed), len(changed),
                 extra={"event": "reloaded", "added": [s.name for s in added],
                        "removed": removed, "rescheduled": [s.name for s in changed]})

    # --- main loop ------------------------------------------------------------------------
    def run(self) -> None:
        """Block until SIGINT or SIGTERM; SIGHUP reloads."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        self.scheduler.start(paused=True)
        self.fetcher.remember_robots(self.store().robots())  # the process's fetcher keeps them
        self.schedule(self.config.sources)
        self.scheduler.resume()
        self.sender = threading.Thread(target=self.send, name="send", daemon=True)
        self.sender.start()
        log.info("watching %d source(s)", len(self.config.sources),
                 extra={"event": "started", "sources": len(self.config.sources),
                        "pid": os.getpid()})
        next_beat = time.monotonic() + self.config.run.heartbeat
        while not self.stop_requested:
            self.wake.wait(max(0.0, next_beat - time.monotonic()))
            self.wake.clear()
            if self.reload_requested and not self.stop_requested:
                self.reload_requested = False
                self.reload()
            if time.monotonic() >= next_beat:
                self.heartbeat()
                self.store().checkpoint()
                next_beat = time.monotonic() + self.config.run.heartbeat
        self.shutdown()

    def heartbeat(self) -> None:
        jobs = self.scheduler.get_jobs()
        upcoming = min((j for j in jobs if j.next_run_time), key=lambda j: j.next_run_time,
                       default=None)
        with self.running_lock:
            running = sorted(self.running)
        log.info("heartbeat: %d source(s), %d check(s) running, next %s", len(jobs), len(running),
                 f"{upcoming.id} at {upcoming.next_run_time.isoformat(timespec='seconds')}"
                 if upcoming else "none",
                 extra={"event": "heartbeat", "sources": len(jobs), "running": running})

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.fetcher.stopping.set()  # no check waits out a retry backoff
        deadline = time.monotonic() + self.config.run.grace
        with self.running_lock:
            while self.running and time.monotonic() < deadline:
                self.running_lock.wait(deadline - time.monotonic())
            abandoned = sorted(self.running)
        self.finishing.set()
        self.outbox.set()
        if not abandoned:  # the last checks' alerts, in what is left of the grace
            self.sender.join(max(1.0, deadline - time.monotonic()))
            if self.sender.is_alive():  # a slow channel: its rows wait for the next run
                abandoned.append("(alerts being sent)")
        if abandoned:
            # Their writes are one transaction each and have not committed: nothing is half-kept.
            log.warning("stopped; abandoned running check(s) of %s", ", ".join(abandoned),
                        extra={"event": "stopped", "abandoned": abandoned})
            logging.shutdown()
            os._exit(0)  # worker threads are blocked on the network; do not wait for them
        log.info("stopped", extra={"event": "stopped", "abandoned": []})

    def _on_stop(self, signum, _frame) -> None:
        self.stop_requested = True
        self.wake.set()
        self.outbox.set()

    def _on_reload(self, _signum, _frame) -> None:
        self.reload_requested = True
        self.wake.set()


def run(config: Config, db_path: str, load: Callable[[], Config]) -> None:
    Runner(config, db_path, load).run()
