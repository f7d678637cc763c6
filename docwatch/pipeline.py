"""The one orchestrator: fetch → parse → diffing → store → notify, for one source at a time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import httpx

from . import diffing, fetch, notify
from .errors import FetchError, ParseError
from .models import Change, CheckResult, Document, NotifyTarget, Source
from .parse import fingerprint, parse
from .store import Store, body_hash, now_iso

log = logging.getLogger(__name__)


def check(
    source: Source,
    store: Store,
    *,
    targets: tuple[NotifyTarget, ...] = (),
    http: httpx.Client | None = None,
    clock: Callable[[], str] = now_iso,
    tz: str = "UTC",
) -> CheckResult:
    """Check one source now: record what the page says and what changed since last time."""
    started_at, t0 = clock(), time.monotonic()

    def ms() -> int:
        return int((time.monotonic() - t0) * 1000)

    prev = store.previous(source)
    try:
        fetched = fetch.fetch(
            source.url, http=http, timeout=source.timeout,
            etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
        )
    except FetchError as e:
        store.record_failure(source, e.kind, str(e), started_at=started_at, duration_ms=ms(),
                             http_status=e.status_code)
        return CheckResult(source.name, "error", error_kind=e.kind, error=str(e))
    if prev and (fetched.status_code == 304 or body_hash(fetched.body) == prev.content_hash):
        store.record_unchanged(source, fetched, started_at=started_at, duration_ms=ms(),
                               snapshot_id=prev.snapshot_id,
                               not_modified=fetched.status_code == 304)
        return CheckResult(source.name, "unchanged", snapshot_id=prev.snapshot_id)
    try:
        doc = parse(fetched.body, content_type=fetched.content_type, url=fetched.final_url,
                    rules=source.rules)
    except ParseError as e:
        store.record_failure(source, "unparseable", str(e), started_at=started_at,
                             duration_ms=ms(), http_status=fetched.status_code)
        return CheckResult(source.name, "error", error_kind="unparseable", error=str(e))
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
    return CheckResult(source.name, "changed" if prev else "new", changes, snapshot_id=snapshot_id)


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


def check_all(
    sources: Iterable[Source],
    store: Store,
    *,
    targets: tuple[NotifyTarget, ...] = (),
    http: httpx.Client | None = None,
    clock: Callable[[], str] = now_iso,
    tz: str = "UTC",
    deliver: bool = True,
) -> list[CheckResult]:
    """Check each source in turn (a failing one never stops the others), then send what is due
    in the outbox (unless `deliver` is false)."""
    results = []
    own = http is None
    http = http or fetch.client()
    try:
        for source in sources:
            try:
                results.append(check(source, store, targets=targets, http=http, clock=clock,
                                     tz=tz))
            except Exception as e:  # noqa: BLE001 - a bug on one page must not stop the rest
                log.exception("check of %s failed", source.name)
                results.append(CheckResult(source.name, "error", error_kind="internal",
                                           error=f"{type(e).__name__}: {e}"))
    finally:
        if own:
            http.close()
    if deliver:
        notify.deliver_pending(store, clock())
    return results


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
