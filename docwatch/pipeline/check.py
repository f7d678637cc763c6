"""One check of one source: fetch, read, compare with the stored history (`observe`), and
store what was found (`record`); with the documents the page links to, in the same check."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace

from .. import notify
from ..boundary import home_of
from ..decode import not_text
from ..errors import FetchError, ParseError
from ..fetch import Fetcher
from ..models import (Block, Change, CheckResult, Document, Fetched, NotifyTarget, Observation,
                     Previous, Section, Source, SourceState)
from ..documents import announce, document_sources, linked_documents
from ..pdf import is_pdf
from ..store import StaleObservation, Store, body_hash
from ..times import now_iso
from .status import _status_events
from .thinking import _thinking, new_pages


log = logging.getLogger("docwatch.pipeline")  # one logger for the pipeline's steps

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
    with new_pages() if state.previous is None else nullcontext():
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
        fetched, refused = _page(source, fetcher, prev)
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
    changes, fault = _judged(source, store, doc, changes, before, prev, started_at)
    if fault:
        return seen("error", error_kind=fault[0], error=fault[1], http_status=fetched.status_code)
    documents = (_documents(source, doc, store, fetcher=fetcher, targets=targets, clock=clock,
                            tz=tz) if source.documents else [])
    if prev and documents:
        changes = announce(changes, documents, source)
    result = "new" if not prev else "changed" if changes else "noise_only"
    return seen(result, fetched=fetched, doc=doc, changes=changes,
                parsed_with=parsed_with, documents=[d for _, _, d in documents],
                outgoing=notify.outgoing(changes, targets, started_at, tz), timings=timings)


def _page(source: Source, fetcher: Fetcher, prev: Previous | None
          ) -> tuple[Fetched, tuple[str, ...]]:
    """The page's bytes (drawn in the browser first for `render = "browser"`), and the
    requests of its scripts the boundary refused; FetchError when it cannot be read."""
    fetched = fetcher.get(
        source.url, timeout=source.timeout, robots=source.robots, headers=source.headers,
        etag=prev.etag if prev else None, last_modified=prev.last_modified if prev else None,
        home=source.home or home_of(source.url), proxy=source.proxy,
    )
    # What is no page (a PDF, an empty or binary body) is not drawn: it is read, or refused,
    # as it would be plainly.
    if source.render and fetched.status_code != 304 and not (
            is_pdf(fetched.body, fetched.content_type) or not_text(fetched.body)):
        return _rendered(source, fetched, fetcher)
    return fetched, ()


def _judged(source: Source, store: Store, doc: Document, changes: list[Change],
            before: Document | None, prev: Previous | None, now: str
            ) -> tuple[list[Change], tuple[str, str] | None]:
    """The changes a check records, or the fault that makes it a failed check: (kind, why)."""
    from .. import diffing

    collapse = diffing.collapse(before, doc) if before is not None else None
    if collapse == "placeholder":
        # Not the page: a placeholder, an error or rate-limit page served with 200, a consent
        # wall. A failed check however long it lasts (a status, "content not readable", once
        # it persists): the last version that was the page stays the one it is compared with.
        return changes, ("placeholder", f"the page's text collapsed to {diffing.text_size(doc):,} "
                                        f"characters from {diffing.text_size(before):,}: a "
                                        "placeholder, an error or consent page, not the page")
    if collapse:
        return [diffing.page_replaced(before, doc, source.name)], None
    if not any(b for s in doc.sections for b in s.blocks):
        return changes, ("empty", "no readable text in the page's main content (nothing to "
                                  "watch)")
    if before is not None:
        return remembered(source, store, changes, now, before, prev.snapshot_id), None
    return changes, None


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
