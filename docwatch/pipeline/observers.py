"""Worker processes that observe for `docwatch run`, as `fetch --once` has for a large run.

Checking is CPU work under one interpreter lock: in one process, 1,000 pages on ten sites, a
tenth of them changed, took 1.9× the time their sites' politeness allows. So a run with many
sources forks one worker per CPU (`[fetch] processes`) when it starts, before its first thread
(a fork copies the locks of the threads it leaves behind). They live as long as the run.

A check thread of the run sends a source and its state to a worker and waits for the
observation (the fetch, the parse, the diff, with the reads of the page's history they need);
the run alone writes it, through its one database thread, as before. Each worker allows a site
`per_host / workers` requests at once, and a page goes to the worker with the fewest requests
out to its site, so together they keep to `per_host` (where it does not divide, or with a
`min_delay`, which one gate must keep, each site is one worker's). A worker that dies fails
the checks it had (one line each) and the others take its share; with none left the run
observes in its own threads.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import zlib
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path

from ..fetch import Fetcher, host_of
from ..models import CheckResult, FetchSettings, NotifyTarget, Observation, Source, SourceState
from ..store import StoreThread
from ..times import now_iso
from .many import _in_threads_taking, _observed
from .processes import _Outbox, _warm_up
from .thinking import _thinking

log = logging.getLogger("docwatch.pipeline")


class WorkerGone(Exception):
    """The worker process observing a page ended before it answered."""


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    requests: Connection
    replies: Connection
    sending: threading.Lock = field(default_factory=threading.Lock)
    out: Counter = field(default_factory=Counter)  # site -> requests sent, not answered
    pending: dict[int, tuple[str, Future]] = field(default_factory=dict)
    alive: bool = True


class Observers:
    """`observe(source, state)` in worker processes; see the module's docstring."""

    def __init__(self, path: str | Path, settings: FetchSettings,
                 targets: tuple[NotifyTarget, ...], tz: str, processes: int,
                 langs: set[str | None]):
        context = multiprocessing.get_context("fork")
        # A site's requests are shared by the workers, `per_host / workers` each, when that
        # divides; otherwise (fewer at once than workers, or a delay between two requests,
        # which one gate must keep) each site is one worker's.
        self.split = settings.per_host >= processes and not settings.min_delay
        each = replace(settings, processes=1,
                       per_host=settings.per_host // processes if self.split else settings.per_host,
                       concurrency=max(1, -(-settings.concurrency // processes)))
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._robots: dict[str, tuple[float, str | None]] = {}
        self._closing = False
        self.workers: list[_Worker] = []
        gc.freeze()  # what exists now is shared with the workers, never copied by a collection
        for _ in range(processes):
            requests_in, requests = context.Pipe(duplex=False)
            replies, replies_out = context.Pipe(duplex=False)
            # The run's ends of the pipes (this worker's and the earlier ones') it inherits, for
            # it to close: a request pipe ends (and its worker with it) only when every copy
            # of its sending end is closed.
            theirs = [requests, replies,
                      *(end for w in self.workers for end in (w.requests, w.replies))]
            process = context.Process(target=_serve, daemon=True, name="docwatch-observer",
                                      args=(requests_in, replies_out, theirs, str(path), each,
                                            targets, tz, langs))
            process.start()
            requests_in.close()  # the worker holds these ends: its exit ends the pipes
            replies_out.close()
            self.workers.append(_Worker(process, requests, replies))
        gc.unfreeze()

    def start(self) -> None:
        """The threads that take the workers' answers: once every worker is forked."""
        for worker in self.workers:
            threading.Thread(target=self._receive, args=(worker,), name="observer-replies",
                             daemon=True).start()

    def observe(self, source: Source, state: SourceState) -> Observation | CheckResult:
        site = host_of(source.url)
        future: Future = Future()
        with self._lock:
            live = [w for w in self.workers if w.alive]
            if not live:
                raise WorkerGone("no worker process is left")
            worker = (min(live, key=lambda w: (w.out[site], len(w.pending))) if self.split
                      else live[zlib.crc32(site.encode()) % len(live)])
            rid = next(self._ids)
            worker.out[site] += 1
            worker.pending[rid] = (site, future)
        try:
            with worker.sending:
                worker.requests.send((rid, source, state))
        except OSError:
            self._gone(worker)
        obs, read = future.result()
        if read:
            with self._lock:
                self._robots.update(read)
        if isinstance(obs, Observation):
            obs.source = source  # this process's own: the copy that came down the pipe goes
        return obs

    def robots_to_keep(self) -> dict[str, tuple[float, str | None]]:
        """The robots.txt files the workers read since last asked, for the run to keep."""
        with self._lock:
            read, self._robots = self._robots, {}
        return read

    @property
    def alive(self) -> bool:
        return any(w.alive for w in self.workers)

    def close(self) -> None:
        """No more requests: each worker ends when it has answered what it has."""
        self._closing = True
        for worker in self.workers:
            with worker.sending:
                worker.requests.close()

    def _receive(self, worker: _Worker) -> None:
        while True:
            try:
                batch = worker.replies.recv()
            except (EOFError, OSError):
                return self._gone(worker)
            for rid, obs, read in batch:
                with self._lock:
                    site, future = worker.pending.pop(rid)
                    worker.out[site] -= 1
                future.set_result((obs, read))

    def _gone(self, worker: _Worker) -> None:
        with self._lock:
            if not worker.alive:
                return
            worker.alive = False
            pending, worker.pending = worker.pending, {}
        worker.process.join(1)
        if self._closing:
            return
        left = sum(w.alive for w in self.workers)
        log.error("a worker process ended (exit %s) with %d check(s) under way; %s",
                  worker.process.exitcode, len(pending),
                  f"{left} other(s) take its pages" if left else "the run observes in its own "
                  "threads from now on",
                  extra={"event": "worker_ended", "exitcode": worker.process.exitcode,
                         "checks": len(pending), "workers_left": left})
        for _, future in pending.values():
            future.set_exception(WorkerGone(
                f"the worker process observing it ended (exit {worker.process.exitcode})"))


def _serve(requests: Connection, replies: Connection, theirs: list[Connection], path: str,
           settings: FetchSettings, targets: tuple[NotifyTarget, ...], tz: str,
           langs: set[str | None]) -> None:
    """A worker process: observe each (id, source, state) the run sends, answer (id,
    observation) in batches, until the run closes its end."""
    # Signals are the run's: Ctrl-C and systemd's SIGTERM reach the whole group, and the run
    # gives its checks their grace, then closes the pipe, which ends this process.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    for end in theirs:
        end.close()
    _thinking().submit(_warm_up, langs)
    reader = StoreThread(path)  # reads only: the history a changed page is held against
    store = reader.proxy()
    fetcher = Fetcher(settings)
    fetcher.remember_robots(store.robots())
    outbox = _Outbox(replies)
    work: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                work.put(requests.recv())
            except (EOFError, OSError):
                for _ in range(settings.concurrency):
                    work.put(None)
                return

    def check(item: tuple[int, Source, SourceState]) -> None:
        rid, source, state = item
        obs = _observed(source, state, store, targets, fetcher, now_iso, tz)
        try:
            outbox.send((rid, obs, fetcher.robots_to_keep()))
        except OSError:  # the run is gone: nobody will store the rest
            os._exit(1)

    threading.Thread(target=receive, daemon=True).start()
    try:
        _in_threads_taking(work.get, check, settings.concurrency)
    finally:
        fetcher.close()
        reader.close()
        replies.close()
