"""The one orchestrator: fetch → parse → diffing (a check's `observe`) → store → notify.

One source at a time (`check`), or many at once (`check_all`): in threads, and for large runs
in worker processes that observe while this process alone writes.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from itertools import zip_longest
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TypeVar

from . import fetch, memory, notify, redact
from .errors import DocwatchError, FetchError, ParseError
from .fetch import Fetcher, host_of
from .models import (Block, Change, CheckResult, Document, Fetched, FetchSettings, Message,
                     NotifyTarget, Observation, ParseRules, Previous, Section, Source,
                     SourceState)
from .documents import announce, document_sources, linked_documents
from .pdf import is_pdf
from .results import Results
from .store import StaleObservation, Store, StoreError, StoreThread, body_hash
from .times import now_iso

T = TypeVar("T")

# Parsing and diffing happen on one thread of each process. The GIL ran one parse at a time
# anyway; a hundred fetch threads each parsing held a hundred page trees at once, and each
# thread that ever parses keeps libxml2 state of its own (30 MB a worker over a first cycle).
_thinker: ThreadPoolExecutor | None = None
_thinker_lock = threading.Lock()


def _thinking() -> ThreadPoolExecutor:
    """This process's parse-and-diff thread."""
    global _thinker
    with _thinker_lock:
        if _thinker is None:
            _thinker = ThreadPoolExecutor(1, thread_name_prefix="parse")
        return _thinker


# Pages seen for the first time (every one of them parsed) being checked at once, at most, in
# each process: past that they only wait for the one parse thread, each holding its page, while
# the other check threads' pages are known ones that mostly come back 304 (a first cycle's
# peak memory: 9 MB less, its time the same).
NEW_PAGES_AT_ONCE = 32
_new_pages = threading.BoundedSemaphore(NEW_PAGES_AT_ONCE)


def _after_fork() -> None:  # a forked worker has none of its parent's threads
    global _thinker, _thinker_lock, _new_pages
    _thinker, _thinker_lock = None, threading.Lock()
    _new_pages = threading.BoundedSemaphore(NEW_PAGES_AT_ONCE)


os.register_at_fork(after_in_child=_after_fork)

log = logging.getLogger(__name__)

# `parsing` and `diffing` (lxml, Babel's data, the readers' patterns: 45 ms with a first parse)
# are imported where a page is first parsed, not with this module: the parent of a run's
# worker processes never parses, and each worker loads them in its parse thread while its
# first requests are out, instead of every run's first request waiting for them.


def check(
    source: Source,
    store: Store,
    *,
    targets: tuple[NotifyTarget, ...] = (),
    fetcher: Fetcher | None = None,
    clock: Callable[[], str] = now_iso,
    tz: str = "UTC",
    state: SourceState | None = None,
) -> CheckResult:
    """Check one source now: record what the page says and what changed since last time."""
    own = fetcher is None
    fetcher = fetcher or Fetcher()
    if state is None:
        state = store.states([source.name]).get(source.name, SourceState())
    try:
        obs = observe(source, state, store, targets=targets, fetcher=fetcher, clock=clock, tz=tz)
    finally:
        if own:
            fetcher.close()
    return record(obs, store, targets, tz)


def record(obs: Observation, store: Store, targets: tuple[NotifyTarget, ...] = (),
           tz: str = "UTC") -> CheckResult:
    """Store an observation; if another process stored a newer version of the page
    meanwhile, find the changes again against that one first (nothing is recorded twice)."""
    for _ in range(3):
        try:
            return obs.outcome(store.record(obs))
        except StaleObservation as e:
            obs = _rebased(obs, store, e.latest, targets, tz)
    return obs.outcome(store.record(obs))


def _rebased(obs: Observation, store: Store, latest: int, targets: tuple[NotifyTarget, ...],
             tz: str) -> Observation:
    from . import diffing

    old = store.document(latest)
    changes = diffing.diff(old, obs.doc, source=obs.source.name, alert=obs.source.alert)
    return replace(obs, previous_id=latest, changes=changes,
                   result="changed" if changes else "noise_only",
                   outgoing=notify.outgoing(changes, targets, obs.started_at, tz))


def observe(source: Source, state: SourceState, store: Store, *, fetcher: Fetcher,
            targets: tuple[NotifyTarget, ...] = (), clock: Callable[[], str] = now_iso,
            tz: str = "UTC") -> Observation:
    """Fetch, parse and diff one source; nothing is written (`store` is only read, for the
    previous version when the page changed)."""
    with _new_pages if state.previous is None else nullcontext():
        return _observe(source, state, store, fetcher=fetcher, targets=targets, clock=clock,
                        tz=tz)


def _observe(source: Source, state: SourceState, store: Store, *, fetcher: Fetcher,
             targets: tuple[NotifyTarget, ...], clock: Callable[[], str], tz: str) -> Observation:
    started_at, t0 = clock(), time.monotonic()
    prev = state.previous

    def seen(result: str, **fields) -> Observation:
        kind = fields.get("error_kind")
        obs = Observation(source, started_at, int((time.monotonic() - t0) * 1000), result,
                          previous_id=prev.snapshot_id if prev else None, **fields)
        obs.messages = _status_events(source, state, targets, kind, fields.get("error", ""),
                                      fetcher.settings.failing_after)
        return obs

    try:
        fetched = fetcher.get(
            source.url, timeout=source.timeout, robots=source.robots, headers=source.headers,
            etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
        )
    except FetchError as e:
        return seen("error", error_kind=e.kind, error=str(e), http_status=e.status_code)
    if source.render and fetched.status_code != 304 and not is_pdf(fetched.body,
                                                                   fetched.content_type):
        try:
            fetched = _rendered(source, fetched, fetcher)
        except FetchError as e:
            return seen("error", error_kind=e.kind, error=str(e), http_status=e.status_code)
    if prev and (fetched.status_code == 304 or body_hash(fetched.body) == prev.content_hash):
        # Not modified, or the very same bytes: nothing to parse, and the body is stored.
        # Its documents may have changed all the same: their links are in the stored version.
        documents = (_documents(source, store.document(prev.snapshot_id), store,
                                fetcher=fetcher, targets=targets, clock=clock, tz=tz)
                     if source.documents else [])
        return seen("not_modified" if fetched.status_code == 304 else "unchanged",
                    fetched=replace(fetched, body=b""), documents=[d for _, _, d in documents],
                    timings={"fetch": fetched.elapsed})
    from . import diffing
    from .parsing import fingerprint

    parsed_with = fingerprint(source.rules)
    # The stored previous version is read here: from the parse thread, each read was one more
    # wait for the GIL on the process's one serial path.
    old = store.document(prev.snapshot_id) if prev and prev.parsed_with == parsed_with else None
    try:
        doc, changes, cpu, before = _thinking().submit(_understand, source, fetched, prev, old,
                                                       store).result()
    except ParseError as e:
        return seen("error", error_kind=e.kind, error=str(e), http_status=fetched.status_code)
    timings = {"fetch": fetched.elapsed, **cpu}
    gone: list[Message] = []
    if before is not None and diffing.collapsed(before, doc):
        # Not the page: a placeholder, an error or rate-limit page served with 200, a consent
        # wall. Held as a failed check; only a collapse that persists becomes the version.
        persists = state.last_kind == "placeholder" and \
            state.failures + 1 >= fetcher.settings.failing_after
        if not persists:
            return seen("error", error_kind="placeholder", http_status=fetched.status_code,
                        error=f"the page's text collapsed to {diffing.text_size(doc):,} "
                              f"characters from {diffing.text_size(before):,}: a placeholder, "
                              "an error or consent page; held until it persists")
        changes = [diffing.content_removed(before, doc, source.name)]
        gone = _status_message(source, targets, "content_removed",
                               f"{fetcher.settings.failing_after} checks in a row read "
                               f"{diffing.text_size(doc):,} characters where it had "
                               f"{diffing.text_size(before):,}")
    elif not any(b for s in doc.sections for b in s.blocks):
        return seen("error", error_kind="empty", http_status=fetched.status_code,
                    error="no readable text in the page's main content (nothing to watch)")
    documents = (_documents(source, doc, store, fetcher=fetcher, targets=targets, clock=clock,
                            tz=tz) if source.documents else [])
    if prev and documents:
        changes = announce(changes, documents, source)
    result = "new" if not prev else "changed" if changes else "noise_only"
    obs = seen(result, fetched=fetched, doc=doc, changes=changes,
               parsed_with=parsed_with, documents=[d for _, _, d in documents],
               outgoing=notify.outgoing(changes, targets, started_at, tz), timings=timings)
    obs.messages += gone
    return obs


def _rendered(source: Source, fetched: Fetched, fetcher: Fetcher) -> Fetched:
    """The page as a browser draws it, within what is left of the check's deadline."""
    t0 = time.monotonic()
    left = fetcher.deadline(source.timeout) - fetched.elapsed
    html = fetcher.render(fetched.final_url, timeout=max(1.0, min(source.timeout, left)),
                          headers=source.headers)
    return replace(fetched, body=html.encode("utf-8"), content_type="text/html; charset=utf-8",
                   elapsed=fetched.elapsed + time.monotonic() - t0)


def _understand(source: Source, fetched: Fetched, prev: Previous | None, old: Document | None,
                store: Store) -> tuple[Document, list[Change], dict[str, float], Document | None]:
    """The page parsed, its changes since `prev` (whose stored sections are `old` when they
    were parsed as today's parser would), the CPU each took, and the previous version, on the
    parse thread."""
    from . import diffing
    from .parsing import parse

    t_parse = time.thread_time()
    doc = parse(fetched.body, content_type=fetched.content_type, url=fetched.final_url,
                rules=source.rules, language=fetched.content_language)
    changes: list[Change] = []
    t_diff = time.thread_time()
    if prev:
        old = old if old is not None else _reparse(store, source, prev.snapshot_id)
        changes = diffing.diff(old, doc, source=source.name, alert=source.alert)
    return doc, changes, {"parse": t_diff - t_parse, "diff": time.thread_time() - t_diff}, old


MAX_DOCUMENTS = 25  # linked documents watched per page: beyond, a page is a listing, not a text


def _documents(page: Source, doc: Document, store: Store, **how) -> list[
        tuple[Section, Block, Observation]]:
    """Each document the page links to that its `documents` pattern takes, observed: with the
    section and passage that link it."""
    found = linked_documents(doc, page.documents or "")
    if len(found) > MAX_DOCUMENTS:
        log.warning("%s: links %d documents; watching the first %d", page.name, len(found),
                    MAX_DOCUMENTS)
        found = found[:MAX_DOCUMENTS]
    sources = document_sources(page, [url for url, _, _ in found], lang=doc.lang)
    states = store.states(s.name for s in sources.values())
    return [(section, block, observe(sources[url], states.get(sources[url].name, SourceState()),
                                     store, **how))
            for url, section, block in found]


def _status_events(source: Source, state: SourceState, targets: tuple[NotifyTarget, ...],
                   kind: str | None, message: str, failing_after: int) -> list[Message]:
    """One "page removed" on a 404/410, one "source failing" when failures reach
    `failing_after` in a row, one "recovered" at the first success after either."""
    failures, last_kind = state.failures, state.last_kind
    if kind == "gone":
        event = "removed" if last_kind != "gone" else None
        detail = message
    elif kind is not None:
        event = "failing" if failures + 1 == failing_after else None
        detail = f"{failing_after} checks in a row failed; the last: {message} [{kind}]"
    else:
        event = "recovered" if failures >= failing_after or last_kind == "gone" else None
        detail = f"checked fine again after {failures} failed check(s)"
    if not event:
        return []
    return _status_message(source, targets, event, detail)


def _status_message(source: Source, targets: tuple[NotifyTarget, ...], event: str,
                    detail: str) -> list[Message]:
    """A status event, logged, and composed for the channels that want it."""
    log.info("%s: %s", source.name, event, extra={"event": f"source_{event}",
                                                    "source": source.name})
    channels = tuple((t.key, t.shown_as) for t in targets if t.wants_status(source.name))
    if not channels:
        return []
    title, body = notify.status_message(source.name, redact.source_url(source.url), event, detail)
    return [Message(channels, title, body)]


def _reparse(store: Store, source: Source, snapshot_id: int) -> Document:
    """A stored version re-parsed from its raw HTML with today's parser and rules.

    Comparing like with like means a parser upgrade or a new `exclude` rule never shows up
    as a change of the page. (When the fingerprint matches, the stored sections are the same
    thing, cheaper.)
    """
    from .parsing import parse

    body, ctype, url = store.raw(snapshot_id)
    try:
        return parse(body, content_type=ctype, url=url, rules=source.rules)
    except ParseError:
        return store.document(snapshot_id)


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

    Many sources are observed in worker processes (one per CPU, see `_shares`), each fetching
    in threads; this process alone writes what they observed, so they never queue for the
    database's lock.
    """
    sources = list(sources)
    states = store.states(s.name for s in sources)
    tell = on_result or (lambda _: None)
    timings = timings if timings is not None else Timings()
    processes = settings.worker_processes() if fetcher is None and clock is now_iso else 1
    if processes > 1 and len(sources) >= PROCESS_MIN_SOURCES and CAN_FORK:
        results = _in_processes(sources, states, store, targets, settings, tz, processes,
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


def _in_processes(sources: list[Source], states: dict[str, SourceState], store: Store,
                  targets: tuple[NotifyTarget, ...], settings: FetchSettings, tz: str,
                  processes: int, tell: Callable[[CheckResult], None],
                  stop: threading.Event | None, timings: Timings) -> list[CheckResult | None]:
    """Workers observe (fetch, parse, diff) and send observations down a pipe; this process
    stores each as it arrives, through one database thread that commits them in batches."""
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
                    _later(i, obs, writer, room, results, tell, targets, tz)
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
    from . import diffing
    from .parsing import parse

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
            feeding.send([(i, sources[i], states.get(sources[i].name, SourceState()))
                          for i in share[k:k + FEED_BATCH]])
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


def _later(i: int, obs: Observation | CheckResult, writer: StoreThread,
           room: threading.Semaphore, results: Results,
           tell: Callable[[CheckResult], None], targets: tuple[NotifyTarget, ...],
           tz: str) -> None:
    """Queue the observation of the `i`th source for storing (once there is `room`); its
    result goes into `results[i]` when written."""
    if isinstance(obs, CheckResult):
        results[i] = obs
        tell(obs)
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
        results[i] = result
        tell(result)

    writer.submit("record", obs).add_done_callback(written)


def _internal(source: Source, e: Exception) -> CheckResult:
    """The result of a check stopped by a failed write (kind `storage`: it says why) or by
    something unexpected (a bug: logged with its traceback)."""
    if isinstance(e, StoreError):
        return CheckResult(source.name, "error", error_kind="storage", error=str(e))
    log.error("check of %s failed: %s: %s", source.name, type(e).__name__, e,
              exc_info=not isinstance(e, DocwatchError))
    return CheckResult(source.name, "error", error_kind="internal",
                       error=f"{type(e).__name__}: {e}")


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


def diff_targets(old: str, new: str, *, alert: dict[str, bool] | None = None,
                 lang: str | None = None) -> list[Change]:
    """Diff two pages given as files or URLs (`docwatch diff OLD NEW`); `lang` overrides the
    language the pages declare."""
    from . import diffing
    from .parsing import parse

    docs = []
    for target in (old, new):
        fetched = fetch.read(target)
        url = fetched.final_url if fetched.final_url.startswith("http") else None
        try:
            docs.append(parse(fetched.body, content_type=fetched.content_type, url=url,
                              rules=ParseRules(lang=lang), language=fetched.content_language))
        except ParseError as e:
            raise ParseError(f"{target}: {e}") from None
    return diffing.diff(docs[0], docs[1], alert=alert)


def reparse(source: Source, store: Store) -> bool:
    """Rebuild a source's sections and changes from its stored raw HTML with today's parser.

    Returns whether anything changed. Idempotent: when the rebuilt history equals the stored
    one (same parser, same rules), nothing is written.
    """
    from . import diffing
    from .parsing import fingerprint

    parsed_with = fingerprint(source.rules)
    versions: list[tuple[int, Document, list[Change], str]] = []
    same = True
    old: Document | None = None
    for snapshot_id in store.snapshots_of(source.name):
        doc = _reparse(store, source, snapshot_id)
        changes = [] if old is None else diffing.diff(old, doc, source=source.name,
                                                      alert=source.alert)
        versions.append((snapshot_id, doc, changes, parsed_with))
        same = same and (
            store.fingerprint_of(snapshot_id) == parsed_with
            and store.document(snapshot_id) == doc
            and store.changes_at(snapshot_id) == changes
        )
        old = doc
    if not same:
        store.rewrite_history(source, versions)
    return not same
