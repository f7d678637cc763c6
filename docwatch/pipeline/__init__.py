"""The one orchestrator: fetch → parse → diffing (a check's `observe`) → store → notify.

One source at a time (`check`), or many at once (`check_all`): in threads, and for large runs
in worker processes that observe while this process alone writes (`processes`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from itertools import zip_longest
from typing import TypeVar

from .. import fetch, notify, redact
from ..boundary import home_of
from ..errors import DocwatchError, FetchError, ParseError
from ..fetch import Fetcher, host_of
from ..models import (Block, Change, CheckResult, Document, Fetched, FetchSettings, Message,
                     NotifyTarget, Observation, ParseRules, Previous, Section, Source,
                     SourceState, StatusEvent)
from ..documents import announce, document_sources, linked_documents
from ..pdf import is_pdf
from ..store import StaleObservation, Store, StoreError, StoreThread, body_hash
from ..times import now_iso

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
    from .. import diffing

    old = store.document(latest)
    changes = diffing.diff(old, obs.doc, source=obs.source.name, alert=obs.source.alert,
                           match=obs.source.match)
    changes = remembered(obs.source, store, changes, obs.started_at, old, latest)
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
    refused: tuple[str, ...] = ()  # requests of the page's scripts the boundary refused

    def seen(result: str, **fields) -> Observation:
        if refused and result != "error":  # the page was read, without what they would fetch
            fields.update(error_kind="blocked", error=refused[0] + (
                f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""))
        kind = fields.get("error_kind") if result == "error" else None
        obs = Observation(source, started_at, int((time.monotonic() - t0) * 1000), result,
                          previous_id=prev.snapshot_id if prev else None, **fields)
        obs.events, obs.messages = _status_events(source, state, targets, kind,
                                                  fields.get("error", ""),
                                                  fetcher.settings.failing_after)
        return obs

    try:
        fetched = fetcher.get(
            source.url, timeout=source.timeout, robots=source.robots, headers=source.headers,
            etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
            home=source.home or home_of(source.url), proxy=source.proxy,
        )
    except FetchError as e:
        return seen("error", error_kind=e.kind, error=str(e), http_status=e.status_code)
    if source.render and fetched.status_code != 304 and not is_pdf(fetched.body,
                                                                   fetched.content_type):
        try:
            fetched, refused = _rendered(source, fetched, fetcher)
        except FetchError as e:
            return seen("error", error_kind=e.kind, error=str(e), http_status=e.status_code)
    if prev and (fetched.status_code == 304 or prev.same_bytes(body_hash(fetched.body))):
        # Not modified, or the very same bytes: nothing to parse, and the body is stored.
        # Its documents may have changed all the same: their links are in the stored version.
        documents = (_documents(source, store.document(prev.snapshot_id), store,
                                fetcher=fetcher, targets=targets, clock=clock, tz=tz)
                     if source.documents else [])
        return seen("not_modified" if fetched.status_code == 304 else "unchanged",
                    fetched=replace(fetched, body=b""), documents=[d for _, _, d in documents],
                    timings={"fetch": fetched.elapsed})
    from .. import diffing
    from ..parsing import fingerprint

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
    collapse = diffing.collapse(before, doc) if before is not None else None
    if collapse:
        if collapse == "placeholder":
            # Not the page: a placeholder, an error or rate-limit page served with 200, a
            # consent wall. A failed check however long it lasts (a status, "content not
            # readable", once it persists): the last version that was the page stays the
            # one its content is compared with.
            return seen("error", error_kind="placeholder", http_status=fetched.status_code,
                        error=f"the page's text collapsed to {diffing.text_size(doc):,} "
                              f"characters from {diffing.text_size(before):,}: a placeholder, "
                              "an error or consent page, not the page")
        changes = [diffing.page_replaced(before, doc, source.name)]
    elif not any(b for s in doc.sections for b in s.blocks):
        return seen("error", error_kind="empty", http_status=fetched.status_code,
                    error="no readable text in the page's main content (nothing to watch)")
    elif before is not None:
        changes = remembered(source, store, changes, started_at, before, prev.snapshot_id)
    documents = (_documents(source, doc, store, fetcher=fetcher, targets=targets, clock=clock,
                            tz=tz) if source.documents else [])
    if prev and documents:
        changes = announce(changes, documents, source)
    result = "new" if not prev else "changed" if changes else "noise_only"
    return seen(result, fetched=fetched, doc=doc, changes=changes,
                parsed_with=parsed_with, documents=[d for _, _, d in documents],
                outgoing=notify.outgoing(changes, targets, started_at, tz), timings=timings)


def remembered(source: Source, store: Store, changes: list[Change], now: str,
               latest: Document, latest_id: int) -> list[Change]:
    """`changes` from the stored version `latest`, held against what the page showed in the
    versions its memory window holds (`recall`): only where one could be news, so a page
    whose changes are all quiet reads no history."""
    from ..recall import RECALLED, Memory, recall

    if not any(c.alert and c.category in RECALLED for c in changes):
        return changes
    ids = source.memory.within(store.versions_of(source.name, last=source.memory.versions),
                               now)
    memory = Memory.of(latest if i == latest_id else store.document(i) for i in ids)
    return recall(changes, memory, source.alert)


def _rendered(source: Source, fetched: Fetched, fetcher: Fetcher
              ) -> tuple[Fetched, tuple[str, ...]]:
    """The page as a browser draws it, within what is left of the check's deadline, and the
    requests of its scripts the boundary refused."""
    t0 = time.monotonic()
    left = fetcher.deadline(source.timeout) - fetched.elapsed
    drawn = fetcher.render(fetched, timeout=max(1.0, min(source.timeout, left)),
                           headers=source.headers, home=source.home or home_of(source.url),
                           proxy=source.proxy)
    return replace(fetched, body=drawn.html.encode("utf-8"),
                   content_type="text/html; charset=utf-8",
                   elapsed=fetched.elapsed + time.monotonic() - t0), drawn.refused


def _understand(source: Source, fetched: Fetched, prev: Previous | None, old: Document | None,
                store: Store) -> tuple[Document, list[Change], dict[str, float], Document | None]:
    """The page parsed, its changes since `prev` (whose stored sections are `old` when they
    were parsed as today's parser would), the CPU each took, and the previous version, on the
    parse thread."""
    from .. import diffing
    from ..parsing import parse

    t_parse = time.thread_time()
    doc = parse(fetched.body, content_type=fetched.content_type, url=fetched.final_url,
                rules=source.rules, language=fetched.content_language)
    changes: list[Change] = []
    t_diff = time.thread_time()
    if prev:
        old = old if old is not None else _reparse(store, source, prev.snapshot_id)
        changes = diffing.diff(old, doc, source=source.name, alert=source.alert,
                               match=source.match)
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
                   kind: str | None, message: str, failing_after: int
                   ) -> tuple[list[StatusEvent], list[Message]]:
    """One "page removed" on a 404/410; one "source failing" when failures reach
    `failing_after` in a row ("content not readable" when the page was there but not its
    content: a placeholder, a wall, an empty page); one "recovered" ("content back") at the
    first success after either."""
    failures, last_kind = state.failures, state.last_kind
    if kind == "gone":
        event = "removed" if last_kind != "gone" else None
        detail = message
    elif kind in UNREADABLE:
        event = "content_unreadable" if failures + 1 == failing_after else None
        detail = (f"{failing_after} checks in a row could not read the page's content; the "
                  f"last: {message}")
    elif kind is not None:
        event = "failing" if failures + 1 == failing_after else None
        detail = f"{failing_after} checks in a row failed; the last: {message} [{kind}]"
    else:
        back = failures >= failing_after or last_kind == "gone"
        event = None if not back else "content_back" if last_kind in UNREADABLE else "recovered"
        detail = (f"the page's content is back after {failures} check(s) that could not read it"
                  if event == "content_back" else
                  f"checked fine again after {failures} failed check(s)")
    if not event:
        return [], []
    return [StatusEvent(event, detail)], _status_message(source, targets, event, detail)


#: Failed checks that read the page but not its content: what "content back" ends.
UNREADABLE = frozenset({"placeholder", "empty"})


def _status_message(source: Source, targets: tuple[NotifyTarget, ...], event: str,
                    detail: str) -> list[Message]:
    """A status event, logged, and composed for the channels that want it."""
    log.info("%s: %s", source.name, event, extra={"event": f"source_{event}",
                                                    "source": source.name})
    channels = tuple((t.key, t.shown_as) for t in targets if t.wants_status(source.name, event))
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
    from ..parsing import parse

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


def diff_targets(old: str, new: str, *, alert: dict[str, bool] | None = None,
                 lang: str | None = None) -> list[Change]:
    """Diff two pages given as files or URLs (`docwatch diff OLD NEW`); `lang` overrides the
    language the pages declare."""
    from .. import diffing
    from ..parsing import parse

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

    Each version is compared as a check compares it: with the last version that was the page,
    held against the versions the page's memory window held then. Returns whether anything
    changed. Idempotent: when the rebuilt history equals the stored one (same parser, same
    rules), nothing is written.
    """
    from .. import diffing
    from ..parsing import fingerprint
    from ..recall import Memory, recall, texts_of

    parsed_with = fingerprint(source.rules)
    versions: list[tuple[int, Document, list[Change], str]] = []
    same = True
    page: dict[int, Document] = {}  # the last versions that were the page, by snapshot id
    shown: dict[int, frozenset[str]] = {}  # what each of them showed
    taken = store.versions_of(source.name)
    when = dict(taken)
    for snapshot_id, taken_at in taken:
        doc = _reparse(store, source, snapshot_id)
        old = page[max(page)] if page else None
        collapse = diffing.collapse(old, doc) if old is not None else None
        placeholder = collapse == "placeholder"
        if old is None:
            changes = []
        elif placeholder:
            # A collapse an older docwatch accepted as a version: recorded as it was, never
            # what the next version is compared with.
            changes = [diffing.content_removed(old, doc, source.name)]
        elif collapse:
            changes = [diffing.page_replaced(old, doc, source.name)]
        else:
            held = source.memory.within([(i, when[i]) for i in sorted(page)], taken_at)
            memory = Memory(tuple(shown.setdefault(i, texts_of(page[i])) for i in held))
            changes = recall(diffing.diff(old, doc, source=source.name, alert=source.alert,
                                match=source.match),
                             memory, source.alert)
        if not placeholder:
            page[snapshot_id] = doc
            for gone in sorted(page)[:-max(source.memory.versions, 1)]:  # beyond the window
                del page[gone]
                shown.pop(gone, None)
        versions.append((snapshot_id, doc, changes, parsed_with))
        same = same and (
            store.fingerprint_of(snapshot_id) == parsed_with
            and store.document(snapshot_id) == doc
            and store.changes_at(snapshot_id) == changes
        )
    if not same:
        store.rewrite_history(source, versions)
    return not same
