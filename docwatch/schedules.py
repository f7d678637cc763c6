"""`docwatch run`: the sources on their APScheduler schedules, until stopped.

- A source runs on `every` (an interval, with a little jitter) or `cron` (in the config's
  `timezone`); APScheduler never runs two checks of one source at once (`max_instances=1`),
  coalesces missed runs into one and tolerates a late start (`misfire_grace_time`).
- A schedule only says a source is due (`timetable`: one job per schedule; `due.Due`);
  `[fetch] concurrency` check threads take the due sources a site at a time in turn, observe
  them (in worker processes forked at start, for 200 sources or more: `pipeline.observers`)
  and leave the writing to one database thread, as `fetch --once` does: sources due together
  are checked as fast as `per_host` allows, and a source that falls due while its check waits
  or runs is merged into that check.
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

import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from . import notify, pipeline
from .due import Due
from .fetch import Fetcher, host_of
from .config import Config
from .errors import ConfigError
from .models import CheckResult, Observation, Source, SourceState
from .pipeline.observers import Observers, WorkerGone
from .store import Store, StoreThread
from .timetable import Timetable
from .times import to_iso

log = logging.getLogger("docwatch.run")

class Runner:
    """The scheduler, its config, and the signals that steer it."""

    def __init__(self, config: Config, db_path: str, load: Callable[[], Config]):
        self.config = config
        self.db_path = db_path
        self.load = load
        self.due = Due()
        # The checks' reads and writes, and the schedule's, run on one database thread that
        # commits them in batches: a hundred check threads each taking the write lock for its
        # small transaction spent their time waiting for it (see `StoreThread`).
        self.writer: StoreThread | None = None  # made by `run`, after the workers' fork
        self.db = None
        self.observers: Observers | None = None
        self.wake = threading.Event()
        self.outbox = threading.Event()  # something may be due to send
        self.finishing = threading.Event()  # the checks are over: one last round of sending
        self.stop_requested = False
        self.reload_requested = False
        self.sources = {s.name: s for s in config.sources}
        self.fetcher = Fetcher(config.fetch)  # one client for the process: keep-alive
        self.scheduler = BackgroundScheduler(timezone=config.timezone, job_defaults={
            "max_instances": 1, "coalesce": True, "misfire_grace_time": 3600})
        self.timetable = Timetable(self.scheduler, self.fall_due, config.timezone)

    # --- checks ---------------------------------------------------------------------------
    def fall_due(self, names: list[str]) -> None:
        """A schedule fired (APScheduler's thread): the check threads will take its sources."""
        if not self.stop_requested:
            self.due.put_many((name, host_of(source.url)) for name in names
                              if (source := self.sources.get(name)) is not None)

    def work(self) -> None:
        """A check thread: due sources, one after another, until the run stops."""
        while (name := self.due.take()) is not None:
            if not self.check(name):
                self.due.done(name)

    def check(self, name: str) -> bool:
        """Observe `name` now, store it later (False: nothing to check). The source counts
        as running until its check is written: never two at once, none half-kept at a stop."""
        source = self.sources.get(name)
        if source is None or self.stop_requested:
            return False
        pipeline.check_later(source, self.writer, self.room,
                             functools.partial(self._checked, source, time.monotonic()),
                             targets=self.config.notify, fetcher=self.fetcher,
                             tz=self.config.timezone,
                             observe=self._in_worker if self.observers else None)
        read = (self.observers or self.fetcher).robots_to_keep()
        if read:
            self.writer.submit("save_robots", read)
        return True

    def _checked(self, source: Source, started: float, result: CheckResult) -> None:
        """A check is written (in the database thread: nothing here waits for it)."""
        self.outbox.set()  # the sender takes it from here: a slow channel holds no check
        name = source.name
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
        self.due.done(name)

    def _in_worker(self, source: Source, state: SourceState) -> Observation | CheckResult:
        observers = self.observers
        try:
            return observers.observe(source, state)
        except WorkerGone as e:
            if not observers.alive:  # the run's own threads observe from now on
                self.observers = None
            return CheckResult(source.name, "error", error_kind="internal", error=str(e))

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
            at = self.timetable.next_run(source.name)
            schedule.append((source, to_iso(at) if at else None))
        self.writer.submit("set_next_run", schedule)  # from any thread, the writer's too

    # --- schedule -------------------------------------------------------------------------
    def schedule(self, sources: tuple[Source, ...]) -> None:
        """Put `sources` on the timetable, first runs from the store (catch-up)."""
        told = self.timetable.add(sources, self.db.last_checked(), self.config.run.catch_up)
        for name, (first, overdue) in told.items():
            log.info("%s: next check %s%s", name, first.isoformat(timespec="seconds"),
                     " (overdue: catching up)" if overdue else "",
                     extra={"event": "scheduled", "source": name,
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
        self.sources = fresh
        self.timetable.leave(removed + [s.name for s in changed])
        self.due.drop(set(removed))
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
        self.start_workers()
        self.scheduler.start(paused=True)
        self.fetcher.remember_robots(self.db.robots())  # the process's fetcher keeps them
        self.schedule(self.config.sources)
        for k in range(max(1, self.config.fetch.concurrency)):
            threading.Thread(target=self.work, name=f"check-{k}", daemon=True).start()
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
                self.db.checkpoint()
                next_beat = time.monotonic() + self.config.run.heartbeat
        self.shutdown()

    def start_workers(self) -> None:
        """Fork the observers (many sources, more than one CPU), then start the database
        thread: before any thread of this process, since a fork copies their locks."""
        processes = self.config.fetch.worker_processes()
        sources = self.config.sources
        if processes > 1 and pipeline.CAN_FORK and len(sources) >= pipeline.PROCESS_MIN_SOURCES:
            self.observers = Observers(self.db_path, self.config.fetch, self.config.notify,
                                       self.config.timezone, processes,
                                       {s.rules.lang for s in sources})
        self.writer = StoreThread(self.db_path)
        self.db = self.writer.proxy()
        # Checks observed, not yet written, at most: past that, check threads wait.
        self.room = threading.Semaphore(StoreThread.BATCH // 2)
        if self.observers:
            self.observers.start()

    def heartbeat(self) -> None:
        upcoming = self.timetable.upcoming()
        running, waiting, merged = self.due.counts()
        # Checks waiting at every beat, or times merged, say the sources are due more often
        # than their sites' `per_host` lets them be checked.
        behind = f", {waiting} waiting, {merged} due time(s) merged into checks already " \
                 "waiting or running" if waiting or merged else ""
        log.info("heartbeat: %d source(s), %d check(s) running%s, next %s", len(self.sources),
                 len(running), behind,
                 f"{upcoming[0]} at {upcoming[1].isoformat(timespec='seconds')}"
                 if upcoming else "none",
                 extra={"event": "heartbeat", "sources": len(self.sources), "running": running,
                        "waiting": waiting, "merged": merged})

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.due.close()  # no check starts; the waiting ones are next run's catch-up
        self.fetcher.stopping.set()  # no check waits out a retry backoff
        deadline = time.monotonic() + self.config.run.grace
        abandoned = self.due.settle(deadline)
        if self.observers:
            self.observers.close()
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
        self.writer.close()
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
