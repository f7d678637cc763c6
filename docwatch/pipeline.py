"""The one orchestrator: fetch → parse → diffing → store → notify, for one source at a time."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from . import diffing, fetch, notify
from .errors import FetchError, ParseError
from .fetch import Fetcher
from .models import Change, CheckResult, Document, FetchSettings, NotifyTarget, Source
from .parse import fingerprint, parse
from .store import Store, StoreThread, body_hash, now_iso

log = logging.getLogger(__name__)


def check(
    source: Source,
    store: Store,
    *,
    targets: tuple[NotifyTarget, ...] = (),
    fetcher: Fetcher | None = None,
    clock: Callable[[], str] = now_iso,
    tz: str = "UTC",
) -> CheckResult:
    """Check one source now: record what the page says and what changed since last time."""
    own = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        return _check(source, store, targets, fetcher, clock, tz)
    finally:
        if own:
            fetcher.close()


def _check(source: Source, store: Store, targets: tuple[NotifyTarget, ...], fetcher: Fetcher,
           clock: Callable[[], str], tz: str) -> CheckResult:
    started_at, t0 = clock(), time.monotonic()

    def ms() -> int:
        return int((time.monotonic() - t0) * 1000)

    def failed(kind: str, message: str, status: int | None) -> CheckResult:
        store.record_failure(source, kind, message, started_at=started_at, duration_ms=ms(),
                             http_status=status)
        _status_events(source, store, targets, streak, kind, message, started_at,
                       fetcher.settings.failing_after)
        return CheckResult(source.name, "error", error_kind=kind, error=message)

    prev = store.previous(source)
    streak = store.failure_streak(source.name)
    try:
        fetched = fetcher.get(
            source.url, timeout=source.timeout, robots=source.robots,
            etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
        )
    except FetchError as e:
        return failed(e.kind, str(e), e.status_code)
    if prev and (fetched.status_code == 304 or body_hash(fetched.body) == prev.content_hash):
        # Not modified, or the very same bytes: nothing to parse.
        store.record_unchanged(source, fetched, started_at=started_at, duration_ms=ms(),
                               snapshot_id=prev.snapshot_id,
                               not_modified=fetched.status_code == 304)
        _status_events(source, store, targets, streak, None, "", started_at,
                       fetcher.settings.failing_after)
        return CheckResult(source.name, "unchanged", snapshot_id=prev.snapshot_id)
    try:
        doc = parse(fetched.body, content_type=fetched.content_type, url=fetched.final_url,
                    rules=source.rules)
    except ParseError as e:
        return failed(e.kind, str(e), fetched.status_code)
    parsed_with = fingerprint(source.rules)
    changes: list[Change] = []
    if prev:
        old = (store.document(prev.snapshot_id) if prev.parsed_with == parsed_with
               else _reparse(store, source, prev.snapshot_id))
        changes = diffing.diff(old, doc, source=source.name, alert=source.alert)
    outgoing = notify.outgoing(changes, targets, started_at, tz)
    snapshot_id = store.record_snapshot(
        source, fetched, doc, changes, started_at=started_at, duration_ms=ms(),
        previous_id=prev.snapshot_id if prev else None, parsed_with=parsed_with,
        outgoing=outgoing,
    )
    _status_events(source, store, targets, streak, None, "", started_at,
                   fetcher.settings.failing_after)
    return CheckResult(source.name, "changed" if prev else "new", changes, snapshot_id=snapshot_id)


def _status_events(source: Source, store: Store, targets: tuple[NotifyTarget, ...],
                   before: tuple[int, str | None], kind: str | None, message: str, at: str,
                   failing_after: int) -> None:
    """One "page removed" on a 404/410, one "source failing" when failures reach
    `failing_after` in a row, one "recovered" at the first success after either."""
    failures, last_kind = before
    if kind == "gone":
        event = "removed" if last_kind != "gone" else None
        detail = message
    elif kind is not None:
        event = "failing" if failures + 1 == failing_after else None
        detail = f"{failing_after} checks in a row failed; the last: {message} [{kind}]"
    else:
        event = "recovered" if failures >= failing_after or last_kind == "gone" else None
        detail = f"checked fine again after {failures} failed check(s)"
    channels = [t.url for t in targets if t.wants_status(source.name)]
    if event:
        log.info("%s: %s", source.name, event, extra={"event": f"source_{event}",
                                                        "source": source.name})
    if event and channels:
        title, body = notify.status_message(source.name, source.url, event, detail)
        store.queue_message(source, channels, title, body, at)


def _reparse(store: Store, source: Source, snapshot_id: int) -> Document:
    """A stored version re-parsed from its raw HTML with today's parser and rules.

    Comparing like with like means a parser upgrade or a new `exclude` rule never shows up
    as a change of the page. (When the fingerprint matches, the stored sections are the same
    thing, cheaper.)
    """
    body, ctype, url = store.raw(snapshot_id)
    try:
        return parse(body, content_type=ctype, url=url, rules=source.rules)
    except ParseError:
        return store.document(snapshot_id)


PROCESS_MIN_SOURCES = 200  # below this, forking workers costs more than it saves


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
) -> list[CheckResult]:
    """Check the sources concurrently (a failing one never stops the others), then send what
    is due in the outbox (unless `deliver` is false). Results come in the sources' order.

    Many sources are spread over worker processes (one per CPU), each site wholly in one
    process so its per-host limit and robots.txt hold; each process runs its checks in threads.
    """
    sources = list(sources)
    processes = settings.worker_processes() if fetcher is None and clock is now_iso else 1
    if processes > 1 and len(sources) >= PROCESS_MIN_SOURCES:
        results = _in_processes(sources, store.path, targets, settings, tz, processes)
    else:
        results = _in_threads(sources, store, targets, fetcher, settings, clock, tz)
    if deliver:
        notify.deliver_pending(store, clock())
    return results


def _in_threads(sources: list[Source], store: Store, targets: tuple[NotifyTarget, ...],
                fetcher: Fetcher | None, settings: FetchSettings, clock: Callable[[], str],
                tz: str) -> list[CheckResult]:
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    workers = min(fetcher.settings.concurrency, len(sources))
    # Many threads share one database thread (see StoreThread); one thread uses the store.
    shared = StoreThread(store.path) if workers > 1 else None
    view = shared.proxy() if shared else store

    def one(source: Source) -> CheckResult:
        try:
            return check(source, view, targets=targets, fetcher=fetcher, clock=clock, tz=tz)
        except Exception as e:  # noqa: BLE001 - a bug on one page must not stop the rest
            log.exception("check of %s failed", source.name)
            return CheckResult(source.name, "error", error_kind="internal",
                               error=f"{type(e).__name__}: {e}")

    try:
        if workers <= 1:
            return [one(s) for s in sources]
        with ThreadPoolExecutor(workers, thread_name_prefix="check") as pool:
            return list(pool.map(one, sources))
    finally:
        if shared:
            shared.close()
        if own:
            fetcher.close()


def _in_processes(sources: list[Source], path: Path, targets: tuple[NotifyTarget, ...],
                  settings: FetchSettings, tz: str, processes: int) -> list[CheckResult]:
    shares = _by_host(sources, processes)
    per_process = replace(settings, processes=1,
                          concurrency=max(1, -(-settings.concurrency // len(shares))))
    context = multiprocessing.get_context("fork")  # the children need nothing re-imported
    with ProcessPoolExecutor(len(shares), mp_context=context) as pool:
        futures = [pool.submit(_check_share, share, str(path), targets, per_process, tz)
                   for share in shares]
        done: dict[str, CheckResult] = {}
        for share, future in zip(shares, futures):
            try:
                done.update((r.source, r) for r in future.result())
            except Exception as e:  # noqa: BLE001 - a worker that died fails only its share
                log.error("worker process failed: %s", e)
                done.update((s.name, CheckResult(s.name, "error", error_kind="internal",
                                                 error=f"worker process failed: {e}"))
                            for s in share)
    return [done[s.name] for s in sources]


def _check_share(sources: list[Source], path: str, targets: tuple[NotifyTarget, ...],
                 settings: FetchSettings, tz: str) -> list[CheckResult]:
    """A worker process's part of `check_all`: its own database connection and fetcher."""
    store = Store(path)
    try:
        return check_all(sources, store, targets=targets, settings=settings, tz=tz,
                         deliver=False)
    finally:
        store.close()


def _by_host(sources: list[Source], n: int) -> list[list[Source]]:
    """`n` shares of about equal size, each host's sources all in one share."""
    hosts: dict[str, list[Source]] = {}
    for s in sources:
        hosts.setdefault(urlsplit(s.url).netloc.lower(), []).append(s)
    shares: list[list[Source]] = [[] for _ in range(n)]
    for group in sorted(hosts.values(), key=len, reverse=True):
        min(shares, key=len).extend(group)
    return [share for share in shares if share]


def diff_targets(old: str, new: str, *, alert: dict[str, bool] | None = None) -> list[Change]:
    """Diff two pages given as files or URLs (`docwatch diff OLD NEW`)."""
    docs = []
    for target in (old, new):
        fetched = fetch.read(target)
        url = fetched.final_url if fetched.final_url.startswith("http") else None
        try:
            docs.append(parse(fetched.body, content_type=fetched.content_type, url=url))
        except ParseError as e:
            raise ParseError(f"{target}: {e}") from None
    return diffing.diff(docs[0], docs[1], alert=alert)


def reparse(source: Source, store: Store) -> bool:
    """Rebuild a source's sections and changes from its stored raw HTML with today's parser.

    Returns whether anything changed. Idempotent: when the rebuilt history equals the stored
    one (same parser, same rules), nothing is written.
    """
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
