"""`docwatch run`: the sources on their APScheduler schedules, until stopped.

- A source runs on `every` (an interval, with a little jitter) or `cron` (in the config's
  `timezone`); APScheduler never runs two checks of one source at once (`max_instances=1`),
  coalesces missed runs into one and tolerates a late start (`misfire_grace_time`).
- A schedule only says a source is due (`timetable`: one job per schedule); `checks.Checks`
  checks the due sources as `fetch --once` does: sources due together are checked as fast as
  `per_host` allows, and a source that falls due while its check waits or runs is merged into
  that check.
- Catch-up comes from the store, not a separate job store: at start a source whose last check
  is older than its interval (or that was never checked) is checked once, soon; the first at
  once, the others spread over `[run] catch_up` (or their interval, when shorter); then it
  checks with its group. The others are next checked when their group is due.
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

from apscheduler.schedulers.background import BackgroundScheduler

from . import notify
from .checks import Checks
from .config import Config
from .errors import ConfigError
from .models import Source
from .store import Store
from .timetable import Timetable

log = logging.getLogger("docwatch.run")


class Runner:
    """The scheduler, its config, and the signals that steer it."""

    def __init__(self, config: Config, db_path: str, load: Callable[[], Config]):
        self.config = config
        self.db_path = db_path
        self.load = load
        self.wake = threading.Event()
        self.outbox = threading.Event()  # something may be due to send
        self.finishing = threading.Event()  # the checks are over: one last round of sending
        self.stop_requested = False
        self.reload_requested = False
        self.scheduler = BackgroundScheduler(timezone=config.timezone, job_defaults={
            "max_instances": 1, "coalesce": True, "misfire_grace_time": 3600})
        self.timetable = Timetable(self.scheduler, lambda names: self.checks.fall_due(names),
                                   config.timezone)
        self.checks = Checks(config, db_path, self.timetable.next_run, self.outbox.set)

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

    # --- schedule -------------------------------------------------------------------------
    def schedule(self, sources: tuple[Source, ...]) -> None:
        """Put `sources` on the timetable, first runs from the store (catch-up)."""
        told = self.timetable.add(sources, self.checks.db.last_checked(),
                                  self.config.run.catch_up)
        for name, (first, overdue) in told.items():
            log.info("%s: next check %s%s", name, first.isoformat(timespec="seconds"),
                     " (overdue: catching up)" if overdue else "",
                     extra={"event": "scheduled", "source": name,
                            "next_run": first.isoformat(), "overdue": overdue})
        self.checks.record_next_runs(sources)

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
        self.config = self.checks.config = new  # running checks finish as they started
        self.checks.sources = fresh
        self.timetable.leave(removed + [s.name for s in changed])
        self.checks.due.drop(set(removed))
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
        self.checks.start()  # first: it may fork
        self.scheduler.start(paused=True)
        self.schedule(self.config.sources)
        self.checks.start_threads()
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
                self.checks.db.checkpoint()
                next_beat = time.monotonic() + self.config.run.heartbeat
        self.shutdown()

    def heartbeat(self) -> None:
        upcoming = self.timetable.upcoming()
        running, waiting, merged = self.checks.due.counts()
        # Checks waiting at every beat, or times merged, say the sources are due more often
        # than their sites' `per_host` lets them be checked.
        behind = f", {waiting} waiting, {merged} due time(s) merged into checks already " \
                 "waiting or running" if waiting or merged else ""
        sources = len(self.config.sources)
        log.info("heartbeat: %d source(s), %d check(s) running%s, next %s", sources,
                 len(running), behind,
                 f"{upcoming[0]} at {upcoming[1].isoformat(timespec='seconds')}"
                 if upcoming else "none",
                 extra={"event": "heartbeat", "sources": sources, "running": running,
                        "waiting": waiting, "merged": merged})

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + self.config.run.grace
        abandoned = self.checks.stop(deadline)
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
        self.checks.writer.close()
        log.info("stopped", extra={"event": "stopped", "abandoned": []})

    def _on_stop(self, signum, _frame) -> None:
        self.stop_requested = self.checks.stopping = True
        self.wake.set()
        self.outbox.set()

    def _on_reload(self, _signum, _frame) -> None:
        self.reload_requested = True
        self.wake.set()


def run(config: Config, db_path: str, load: Callable[[], Config]) -> None:
    Runner(config, db_path, load).run()
