"""Many checks at once: in threads, a database writer of their own and sites taken in turn;
for large runs, in worker processes (`processes`)."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from itertools import zip_longest
from typing import TypeVar

from .. import notify
from ..errors import DocwatchError
from ..fetch import Fetcher, host_of
from ..models import CheckResult, FetchSettings, NotifyTarget, Observation, Source, SourceState
from ..store import StaleObservation, Store, StoreError, StoreThread
from ..times import now_iso
from .check import _rebased, observe, record

log = logging.getLogger("docwatch.pipeline")
T = TypeVar("T")


class Timings:
    """Where a run's time went, in seconds summed over its checks (fetch: waiting for the
    page; parse, diff: CPU) and its database writer (store); filled from any thread."""

    STAGES = ("fetch", "parse", "diff", "store")

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(self.STAGES, 0.0)
        self._lock = threading.Lock()

    def add(self, more: dict[str, float]) -> None:
        with self._lock:
            for stage, s in more.items():
                self.seconds[stage] = self.seconds.get(stage, 0.0) + s

    def line(self) -> str:
        """ "fetch 52.3 s · parse 3.1 s · diff 0.2 s · store 2.8 s" """
        return " · ".join(f"{stage} {self.seconds[stage]:.3g} s" for stage in self.STAGES)


PROCESS_MIN_SOURCES = 200  # below this, forking workers costs more than it saves
# Workers are forked (they inherit everything loaded); where there is no fork, threads do it all.
CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def check_all(
    sources: Iterable[Source],
    store: Store,
    *,
    targets: tuple[NotifyTarget, ...] = (),
    fetcher: Fetcher | None = None,
    settings: FetchSettings = FetchSettings(),
    clock: Callable[[], str] = now_iso,
    tz: str = "UTC",
    deliver: bool = True,
    on_result: Callable[[CheckResult], None] | None = None,
    stop: threading.Event | None = None,
    timings: Timings | None = None,
    base_url: str | None = None,
) -> list[CheckResult]:
    """Check the sources concurrently (a failing one never stops the others), then send what
    is due in the outbox (unless `deliver` is false). Results come in the sources' order.

    `on_result` hears of each check as soon as it is stored (from any thread). Once `stop` is
    set no new check starts; the ones under way are stored, and only their results return.
    `timings`, if given, adds up where the time went (fetch, parse, diff, store).
    `base_url` (`[run] base_url`): alerts link each change to its page in context there.

    Many sources are observed in worker processes (one per CPU, see `processes`), each fetching
    in threads; this process alone writes what they observed, so they never queue for the
    database's lock.
    """
    sources = list(sources)
    states = store.states(s.name for s in sources)
    tell = on_result or (lambda _: None)
    timings = timings if timings is not None else Timings()
    processes = settings.worker_processes() if fetcher is None and clock is now_iso else 1
    if processes > 1 and len(sources) >= PROCESS_MIN_SOURCES and CAN_FORK:
        from .processes import in_processes

        results = in_processes(sources, states, store, targets, settings, tz, processes,
                               tell, stop, timings)
    else:
        results = _in_threads(sources, states, store, targets, fetcher, settings, clock, tz,
                              tell, stop, timings)
    if deliver and not (stop and stop.is_set()):  # stopped: the outbox keeps them for later
        notify.deliver_pending(store, targets, clock(), base_url=base_url)
    return [r for r in results if r is not None]


def _in_threads(sources: list[Source], states: dict[str, SourceState], store: Store,
                targets: tuple[NotifyTarget, ...], fetcher: Fetcher | None,
                settings: FetchSettings, clock: Callable[[], str], tz: str,
                tell: Callable[[CheckResult], None], stop: threading.Event | None,
                timings: Timings) -> list[CheckResult | None]:
    """Observe in threads, each check storing its observation through one database thread."""
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    workers = min(fetcher.settings.concurrency, len(sources))
    shared = StoreThread(store.path) if workers > 1 else None
    view = shared.proxy() if shared else store
    if own:  # a fetcher handed in (`docwatch run`'s) keeps what it has read
        fetcher.remember_robots(store.robots())

    def stored(obs: Observation | CheckResult) -> CheckResult:
        if isinstance(obs, CheckResult):
            result = obs
        else:
            timings.add(obs.timings)
            started = time.monotonic()
            result = record(obs, view, targets, tz)
            if not shared:
                timings.add({"store": time.monotonic() - started})
        tell(result)
        return result

    try:
        return _observe_all(sources, states, view, targets, fetcher, workers, clock, tz, stored,
                            stop)
    finally:
        if shared:
            shared.close()
            timings.add({"store": shared.busy})
        store.save_robots(fetcher.robots_to_keep())
        if own:
            fetcher.close()


def _observe_all(sources: list[Source], states: dict[str, SourceState], reader: Store,
                 targets: tuple[NotifyTarget, ...], fetcher: Fetcher, workers: int,
                 clock: Callable[[], str], tz: str,
                 then: Callable[[Observation | CheckResult], T],
                 stop: threading.Event | None = None) -> list[T | None]:
    """`then` of each source's observation (or of the internal error that stopped it); None
    for the sources not checked because `stop` was set first."""

    def one(source: Source) -> T | None:
        if stop is not None and stop.is_set():
            return None
        observed = _observed(source, states.get(source.name, SourceState()), reader,
                             targets, fetcher, clock, tz)
        try:
            return then(observed)
        except Exception as e:  # noqa: BLE001 - storing it failed (a full disk): say so
            return then(_internal(source, e))

    if workers <= 1:
        return [one(s) for s in sources]
    done: list[T | None] = [None] * len(sources)
    order = iter(_in_turn(_hosts(sources).values()))

    def check(i: int) -> None:
        done[i] = one(sources[i])

    _in_threads_taking(lambda: next(order, None), check, workers)
    return done


def check_later(source: Source, writer: StoreThread, room: threading.Semaphore,
                then: Callable[[CheckResult], None], *, targets: tuple[NotifyTarget, ...] = (),
                fetcher: Fetcher, tz: str = "UTC",
                observe: Callable[[Source, SourceState], Observation | CheckResult] | None = None,
                ) -> None:
    """One check as `check_all` makes each, for a caller that schedules its own (`docwatch
    run`): observed now (here, or by `observe`: `observers.Observers.observe`), stored by
    `writer` later (`store_later`), its result told to `then` once written. A bug or a
    failed write is the check's result, never raised."""
    try:
        state = writer.call("states", [source.name]).get(source.name, SourceState())
        observed = (observe(source, state) if observe else
                    _observed(source, state, writer.proxy(), targets, fetcher, now_iso, tz))
    except Exception as e:  # noqa: BLE001 - the database could not be read: say so
        observed = _internal(source, e)
    store_later(observed, writer, room, then, targets, tz)


def store_later(obs: Observation | CheckResult, writer: StoreThread, room: threading.Semaphore,
                then: Callable[[CheckResult], None], targets: tuple[NotifyTarget, ...] = (),
                tz: str = "UTC") -> None:
    """Queue an observation for `writer` to store (once there is `room`: at most so many wait,
    so a writer that falls behind holds the checks back instead of pages piling up) and hear
    of its result in `then`, in the writer's thread once it is committed: no thread waits."""
    if isinstance(obs, CheckResult):
        then(obs)
        return
    room.acquire()
    source = obs.source
    held = [obs]  # until written: a stale one is diffed again against the newer version

    def written(done: Future) -> None:  # in the writer's thread, between its transactions
        error = done.exception()
        if isinstance(error, StaleObservation):
            held[0] = _rebased(held[0], writer.store, error.latest, targets, tz)
            writer.submit("record", held[0]).add_done_callback(written)
            return
        result = held.pop().outcome(None)
        room.release()
        if error is None:
            result.snapshot_id = done.result()
        else:
            result = _internal(source, error)
        then(result)

    writer.submit("record", obs).add_done_callback(written)


def _observed(source: Source, state: SourceState, store: Store,
              targets: tuple[NotifyTarget, ...], fetcher: Fetcher, clock: Callable[[], str],
              tz: str) -> Observation | CheckResult:
    """`observe`, or the internal error that stopped it."""
    try:
        return observe(source, state, store, targets=targets, fetcher=fetcher, clock=clock,
                       tz=tz)
    except Exception as e:  # noqa: BLE001 - a bug on one page must not stop the rest
        return _internal(source, e)


def _in_threads_taking(take: Callable[[], T | None], work: Callable[[T], object],
                       workers: int) -> None:
    """`work` on each item `take` gives (None: no more), in `workers` threads that take the
    next item as they come free: no task object waits per item."""
    taking = threading.Lock()

    def run() -> None:
        while True:
            with taking:
                item = take()
            if item is None:
                return
            work(item)

    threads = [threading.Thread(target=run, name=f"check-{k}", daemon=True)
               for k in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _internal(source: Source, e: Exception) -> CheckResult:
    """The result of a check stopped by a failed write (kind `storage`: it says why) or by
    something unexpected (a bug: logged with its traceback)."""
    if isinstance(e, StoreError):
        return CheckResult(source.name, "error", error_kind="storage", error=str(e))
    log.error("check of %s failed: %s: %s", source.name, type(e).__name__, e,
              exc_info=not isinstance(e, DocwatchError))
    return CheckResult(source.name, "error", error_kind="internal",
                       error=f"{type(e).__name__}: {e}")


def _hosts(sources: list[Source]) -> dict[str, array]:
    """Site -> the indexes of its sources, in order (machine integers: 100,000 sources'
    positions as Python's would be 3 MB)."""
    hosts: dict[str, array] = {}
    for i, source in enumerate(sources):
        hosts.setdefault(host_of(source.url), array("l")).append(i)
    return hosts


def _in_turn(sites: Iterable[array]) -> array:
    """The positions of each site's sources, taking the sites in turn.

    Checks start in this order, so the threads spread over the sites: in page order, a
    hundred pages of one site would hold every thread, all but `per_host` of them waiting.
    """
    return array("l", (i for turn in zip_longest(*sites) for i in turn if i is not None))
