"""Many sources at once in worker processes: each observes (fetches, parses, diffs) the share
of the sources fed to it down a pipe and sends its observations back; this process alone
writes them, through one database thread.

Workers are forked, so they inherit everything loaded (the fetcher's HTTP stack, the config);
each loads the parser in its parse thread while its first requests are out.
"""

from __future__ import annotations

import functools
import gc
import logging
import multiprocessing
import os
import signal
import threading
from array import array
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .. import memory
from ..fetch import Fetcher
from ..models import CheckResult, FetchSettings, NotifyTarget, Observation, Source, SourceState
from ..results import Results
from ..store import Store, StoreThread
from ..times import now_iso
from .many import Timings, _hosts, _in_threads_taking, _in_turn, _observed, store_later
from .thinking import _thinking

log = logging.getLogger(__name__)


def in_processes(sources: list[Source], states: dict[str, SourceState], store: Store,
                 targets: tuple[NotifyTarget, ...], settings: FetchSettings, tz: str,
                 processes: int, tell: Callable[[CheckResult], None],
                 stop: threading.Event | None, timings: Timings) -> list[CheckResult | None]:
    """Workers observe (fetch, parse, diff) and send observations down a pipe; this process
    stores each as it arrives, through one database thread that commits them in batches.

    Longer than a function should be, on purpose: the workers, their pipes, the writer
    thread and the frozen collector share one lifetime, and the `finally` that ends them
    must see every one of them, however the run ends."""
    shares, per_process = _shares(sources, processes, settings)
    robots = store.robots()
    context = multiprocessing.get_context("fork")  # the children inherit the fetcher loaded
    stopping = context.Event()  # `stop`, passed on to the workers
    langs = {s.rules.lang for s in sources}
    # What exists now is not collected while the workers run, here or in them: a collector
    # walking it writes to every object, which copies the memory the processes share page by
    # page (0.3 s of CPU a 1,000-page run, and 7 MB here at this process's first full pass).
    gc.freeze()
    memory.trim()
    workers: dict[Connection, tuple[multiprocessing.process.BaseProcess, array]] = {}
    feeds = []
    for share in shares:
        receiving, sending = context.Pipe(duplex=False)
        fed, feeding = context.Pipe(duplex=False)
        worker = context.Process(target=_observe_share, daemon=True,
                                 args=(fed, min(per_process.concurrency, len(share)), robots,
                                       store.path, targets, per_process, tz, sending, stopping,
                                       langs))
        worker.start()
        sending.close()  # the worker holds the only sending end: its exit ends the pipe
        fed.close()
        feeds.append(threading.Thread(target=_feed, args=(feeding, share, sources, states),
                                      daemon=True))
        workers[receiving] = (worker, share)
    for feed in feeds:  # threads only once every worker is forked: a fork copies their locks
        feed.start()
    writer = StoreThread(store.path)
    # Observations not yet written, at most: when the writer falls behind (a first run, every
    # page new), the workers wait at their pipes instead of pages piling up in memory here.
    room = threading.Semaphore(StoreThread.BATCH // 2)
    # Only the results are kept (filled in by the writer's thread), compact, not the
    # observations or a waiting call per check: 10,000 new pages hold little more than 1,000.
    results = Results(sources)
    ended = []
    try:
        while workers:
            if stop is not None and stop.is_set():
                stopping.set()
            for conn in wait(list(workers), timeout=0.2):
                try:
                    batch = conn.recv()
                except (EOFError, OSError):  # the worker is done, or died mid-message
                    worker, share = workers.pop(conn)
                    worker.join()
                    ended.append((worker, share, stopping.is_set()))
                    continue
                for item in batch:
                    if isinstance(item, dict):  # a worker's last word: the robots.txt it read
                        writer.submit("save_robots", item)
                        continue
                    i, obs = item
                    if isinstance(obs, Observation):
                        timings.add(obs.timings)
                        # This process's own source: kept with the result, the copy that
                        # came down the pipe (its name, its rules) is let go.
                        obs.source = sources[i]
                    store_later(obs, writer, room, functools.partial(_result, results, tell, i),
                                targets, tz)
    finally:
        writer.close()  # every write queued is done, and its result in `results`
        timings.add({"store": writer.busy})
        gc.unfreeze()  # the garbage of before the run is collected again
    for worker, share, stopped in ended:
        _ended(worker, share, results, stopped=stopped)
    return results.all()


_WARM_UP = ("<html lang='{lang}'><body><main><h1>docwatch</h1><h2>Chronology</h2>"
            "<p><strong>2024-01-0{day}</strong></p><p>Spending reached 2.{day} % of GDP.</p>"
            "<p><a href='/a?b=1'>A link</a></p></main></body></html>")


def _warm_up(langs: set[str | None]) -> None:
    """Parse and diff a small page in English and each language the sources name: what a
    first parse loads (the parser, Babel's locale data, the readers' patterns), loaded by a
    worker's parse thread while its first requests are out rather than by its first page.
    What it loaded is then frozen, as the parent's objects were before the fork."""
    from .. import diffing
    from ..parsing import parse

    for lang in {"en", *filter(None, langs)}:
        old, new = (parse(_WARM_UP.format(lang=lang, day=day), url="http://localhost/")
                    for day in (1, 2))
        diffing.diff(old, new)
    gc.freeze()


def _ended(worker: multiprocessing.process.BaseProcess, share: array, results: Results, *,
           stopped: bool = False) -> None:
    """A worker ended (every result it sent written): if it died first, its unsent checks
    become errors (one log line). Asked to stop, it leaves the rest unchecked, which is no
    error."""
    unsent = [i for i in share if not results.has(i)]
    if not unsent or (stopped and worker.exitcode == 0):
        return
    why = (f"killed by signal {-worker.exitcode}" if worker.exitcode and worker.exitcode < 0
           else f"exit status {worker.exitcode}")
    log.error("a worker process died (%s); %d of its %d source(s) were not checked",
              why, len(unsent), len(share))
    for i in unsent:
        results[i] = CheckResult(results.sources[i].name, "error", error_kind="internal",
                                 error=f"not checked: its worker process died ({why})")


#: Sources sent to a worker at once. A worker receives its share as it goes, never holds it
#: whole: what a forked child reads of its parent's objects it copies (reference counts are
#: writes), and 100,000 sources cost each worker 45 MB that way.
FEED_BATCH = 64


def _feed(feeding: Connection, share: array, sources: list[Source],
          states: dict[str, SourceState]) -> None:
    """A parent thread: the worker's sources (with their positions) and their states, in the
    share's order, a batch at a time (the pipe's buffer holds the worker back), then None."""
    try:
        for k in range(0, len(share), FEED_BATCH):
            batch = [(i, sources[i]) for i in share[k:k + FEED_BATCH]]
            feeding.send([(i, s, states.get(s.name, SourceState())) for i, s in batch])
        feeding.send(None)
    except OSError:  # the worker is gone (stopped, or died): `_ended` says what was not checked
        pass
    finally:
        feeding.close()


class _Fed:
    """A worker's end of `_feed`: the next (position, source, state), or None when there are
    no more."""

    def __init__(self, conn: Connection):
        self.conn, self.batch, self.done = conn, iter(()), False

    def __call__(self) -> tuple[int, Source, SourceState] | None:
        # Every check thread asks once more after the last: the end is remembered, since
        # the pipe itself never ends (later workers hold copies of its sending end).
        while not self.done and (item := next(self.batch, None)) is None:
            try:
                batch = self.conn.recv()
            except (EOFError, OSError):
                batch = None
            if batch is None:
                self.done = True
            else:
                self.batch = iter(batch)
        return None if self.done else item


def _observe_share(fed: Connection, threads: int,
                   robots: dict[str, tuple[float, str | None]], path: Path,
                   targets: tuple[NotifyTarget, ...], settings: FetchSettings, tz: str,
                   sending: Connection, stop: threading.Event,
                   langs: set[str | None]) -> None:
    """A worker process: observe the sources the parent feeds it and send each observation,
    then the robots.txt files it read."""
    # Ctrl-C reaches the whole process group: the parent decides, and sets `stop`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _thinking().submit(_warm_up, langs)  # the first thing the parse thread does
    reader = StoreThread(path)  # reads only: the previous version of a changed page
    fetcher = Fetcher(settings)
    fetcher.remember_robots(robots)
    outbox = _Outbox(sending)

    def send(item: tuple[int, Observation | CheckResult] | dict) -> None:
        try:
            outbox.send(item)
        except OSError:  # the parent is gone: nobody will store the rest, so stop
            fetcher.stopping.set()
            os._exit(1)

    store = reader.proxy()

    def check(item: tuple[int, Source, SourceState]) -> None:
        if not stop.is_set():
            i, source, state = item
            send((i, _observed(source, state, store, targets, fetcher, now_iso, tz)))

    try:
        _in_threads_taking(_Fed(fed), check, threads)
        send(fetcher.robots_to_keep())
    finally:
        sending.close()
        reader.close()
        fetcher.close()


class _Outbox:
    """What a worker sends down its pipe, in batches: the check thread that finds the pipe
    free sends everything waiting, so the parent wakes and reads once for many checks (a
    read and a wait for the GIL per check were most of its receiving). At most `LIMIT` wait:
    past that, check threads wait too, and so stop fetching while the parent is behind."""

    LIMIT = 16

    def __init__(self, conn: Connection):
        self.conn = conn
        self.waiting: list = []
        self.changed = threading.Condition()
        self.busy = False  # a thread is sending

    def send(self, item: object) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.waiting) < self.LIMIT)
            self.waiting.append(item)
            if self.busy:
                return  # the sending thread takes it with the next batch
            self.busy = True
        while True:
            with self.changed:
                batch, self.waiting = self.waiting, []
                self.changed.notify_all()
                if not batch:
                    self.busy = False
                    return
            self.conn.send(batch)


def _result(results: Results, tell: Callable[[CheckResult], None], i: int,
            result: CheckResult) -> None:
    results[i] = result
    tell(result)


def _shares(sources: list[Source], n: int,
            settings: FetchSettings) -> tuple[list[array], FetchSettings]:
    """The sources (their positions) dealt into `n` shares of about equal size, each in the
    order its worker checks them (`_in_turn`), and each worker's settings.

    A site's pages are dealt over all the shares, each worker allowing it `per_host // n`
    requests at once, so one big site (or one site where most pages changed) keeps every
    CPU busy. When the limit cannot be divided (fewer requests at once than workers, or a
    minimum delay between requests), each site stays whole in one share instead.
    """
    groups = list(_hosts(sources).values())
    parts: list[list[array]] = [[] for _ in range(n)]  # each share's part of each site
    if settings.per_host >= n and not settings.min_delay:
        for g, group in enumerate(groups):
            for k in range(n):  # the site's pages dealt in turn, from share g on
                parts[(g + k) % n].append(group[k::n])
        per_host = settings.per_host // n
    else:
        sizes = [0] * n
        for group in sorted(groups, key=len, reverse=True):
            smallest = sizes.index(min(sizes))
            parts[smallest].append(group)
            sizes[smallest] += len(group)
        per_host = settings.per_host
    shares = [_in_turn(sites) for sites in parts]
    shares = [share for share in shares if share]
    return shares, replace(settings, processes=1, per_host=per_host,
                           concurrency=max(1, -(-settings.concurrency // len(shares))))
