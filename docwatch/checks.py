"""The checks of `docwatch run`: the threads that take the pages fallen due, observe them
(here, or in worker processes forked at the start: `pipeline.observers`), and leave the
writing to one database thread, which logs each check once it is written.

A page counts as running from the moment a thread takes it until its check is written: never
two checks of it at once, and a stop that cuts one short leaves nothing half-kept.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from . import pipeline
from .config import Config
from .due import Due
from .fetch import Fetcher, host_of
from .models import CheckResult, Observation, Source, SourceState
from .pipeline.observers import Observers, WorkerGone
from .store import StoreThread
from .times import to_iso

log = logging.getLogger("docwatch.run")


class Checks:
    """What checks the run's pages: the due queue, the check threads, the fetcher, the
    workers and the database thread. `config` and `sources` are the run's, replaced on reload
    (a running check finishes with the source it started with)."""

    def __init__(self, config: Config, db_path: str, next_run: Callable[[str], datetime | None],
                 done: Callable[[], None]):
        self.config = config
        self.sources = {s.name: s for s in config.sources}
        self.db_path = db_path
        self.next_run = next_run
        self.done = done  # told after each check is written: something may be due to send
        self.due = Due()
        self.fetcher = Fetcher(config.fetch)  # one client for the process: keep-alive
        self.observers: Observers | None = None
        self.stopping = False
        # The checks' reads and writes, and the schedule's, run on one database thread that
        # commits them in batches: a hundred check threads each taking the write lock for its
        # small transaction spent their time waiting for it (see `StoreThread`).
        self.writer: StoreThread | None = None
        self.db = None
        # Checks observed, not yet written, at most: past that, check threads wait.
        self.room = threading.Semaphore(StoreThread.BATCH // 2)

    def start(self) -> None:
        """Fork the workers (many sources, more than one CPU), then start the database thread:
        before any thread of this process, since a fork copies their locks."""
        processes = self.config.fetch.worker_processes()
        sources = self.config.sources
        if processes > 1 and pipeline.CAN_FORK and len(sources) >= pipeline.PROCESS_MIN_SOURCES:
            self.observers = Observers(self.db_path, self.config.fetch, self.config.notify,
                                       self.config.timezone, processes,
                                       {s.rules.lang for s in sources})
        self.writer = StoreThread(self.db_path)
        self.db = self.writer.proxy()
        if self.observers:
            self.observers.start()
        self.fetcher.remember_robots(self.db.robots())  # the process's fetcher keeps them

    def start_threads(self) -> None:
        for k in range(max(1, self.config.fetch.concurrency)):
            threading.Thread(target=self._work, name=f"check-{k}", daemon=True).start()

    def fall_due(self, names: list[str]) -> None:
        """A schedule fired (APScheduler's thread): the check threads will take its sources."""
        if not self.stopping:
            self.due.put_many((name, host_of(source.url)) for name in names
                              if (source := self.sources.get(name)) is not None)

    def record_next_runs(self, sources: list[Source] | tuple[Source, ...]) -> None:
        schedule = []
        for source in sources:
            at = self.next_run(source.name)
            schedule.append((source, to_iso(at) if at else None))
        self.writer.submit("set_next_run", schedule)  # from any thread, the writer's too

    def stop(self, deadline: float) -> list[str]:
        """No check starts from now on; wait for the running ones until `deadline`
        (time.monotonic()); the ones still running."""
        self.stopping = True
        self.due.close()  # the waiting ones are next run's catch-up
        self.fetcher.stopping.set()  # no check waits out a retry backoff
        abandoned = self.due.settle(deadline)
        if self.observers:
            self.observers.close()
        if not abandoned:  # else their threads still use it, and the process ends with them
            self.fetcher.close()  # its browser too, and the profile it made
        return abandoned

    def _work(self) -> None:
        """A check thread: due sources, one after another, until the run stops."""
        while (name := self.due.take()) is not None:
            if not self._check(name):
                self.due.done(name)

    def _check(self, name: str) -> bool:
        """Observe `name` now, store it later (False: nothing to check)."""
        source = self.sources.get(name)
        if source is None or self.stopping:
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
        name = source.name
        try:
            self.done()  # the sender takes it from here: a slow channel holds no check
            fields = {"source": name, "result": result.status, "changes": len(result.changes),
                      "alerts": len(result.alerts),
                      "duration_ms": int((time.monotonic() - started) * 1000)}
            if result.ok:
                log.info("%s: %s, %d change(s)", name, result.status, len(result.changes),
                         extra={"event": "check", **fields})
            else:
                log.warning("%s: %s [%s]", name, result.error, result.error_kind,
                            extra={"event": "check", **fields,
                                   "error_kind": result.error_kind, "error": result.error})
            self.record_next_runs([source])
        finally:  # whatever happened above, the source is due again
            self.due.done(name)

    def _in_worker(self, source: Source, state: SourceState) -> Observation | CheckResult:
        observers = self.observers
        try:
            return observers.observe(source, state)
        except WorkerGone as e:
            if not observers.alive:  # the run's own threads observe from now on
                self.observers = None
            return CheckResult(source.name, "error", error_kind="internal", error=str(e))
