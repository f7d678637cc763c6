"""Work on versions already in hand: `docwatch diff` of two given pages, and `reparse`, the
stored history rebuilt with today's parser."""

from __future__ import annotations

from .. import fetch
from ..errors import ParseError
from ..models import Change, Document, ParseRules, Source
from ..store import Store
from .check import _reparse


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
