"""The dataclasses that flow through the pipeline: sources, documents, changes, results."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from operator import attrgetter
from typing import Any, TypeVar

from .boundary import Allowance
from .times import from_iso

T = TypeVar("T")


def _pickled(cls: type[T]) -> type[T]:
    """Pickle a slotted dataclass as the tuple of its fields' values.

    Observations cross the pipe from the workers to the writing process pickled, and the
    `__getstate__`/`__setstate__` that `slots=True` writes look up `fields()` for each object:
    a parsed page is a hundred blocks, and that was half of its pickling, both ways.
    """
    names = tuple(f.name for f in fields(cls))
    assert len(names) > 1  # attrgetter of one name gives the value, not a tuple
    values = attrgetter(*names)
    put = object.__setattr__  # frozen ones too: this is their construction

    def __getstate__(self) -> tuple:
        return values(self)

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(names, state):
            put(self, name, value)

    cls.__getstate__ = __getstate__
    cls.__setstate__ = __setstate__
    return cls

#: Change categories of the contract, in the order an analyst reads them.
CATEGORIES = (
    "new_entry",
    "revised_figure",
    "removed_entry",
    "section_renamed",
    "content_added",
    "content_removed",
    "text_edit",
    "moved",
    "minor_edit",
    "restored",
    "page_replaced",
)
#: Categories that are recorded but do not alert under the default policy. `restored`: the
#: page shows again what it showed recently (a passage back after a wall, the other side of
#: an A/B flip), which is not news.
QUIET_CATEGORIES = frozenset({"minor_edit", "moved", "restored"})
#: Status events: what happened to the page rather than in it. `[[notify]] categories` names
#: them one by one, or all of them as "status".
STATUS_EVENTS = ("failing", "recovered", "removed", "content_unreadable", "content_back")


@_pickled
@dataclass(frozen=True, slots=True)
class ParseRules:
    """Per-source refinements of main-content detection."""

    content: str | None = None
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    lang: str | None = None  # the page's language when its markup does not say ("lt")


@_pickled
@dataclass(frozen=True, slots=True)
class MemoryWindow:
    """How far back a page remembers: its last `versions` distinct versions, those no older
    than `days` before the check. Ten versions hold a wall or an A/B flip seen every check
    for more than two days at `every = "6h"`; thirty days keep a passage that returns after
    a month's absence news, however seldom the page changes."""

    versions: int = 10
    days: float = 30.0

    def within(self, versions: Sequence[tuple[int, str]], now: str) -> list[int]:
        """The ids of `versions` ((id, taken at), oldest first) that the window holds at `now`."""
        if self.versions <= 0:  # memory = {versions = 0}: compare with the last version only
            return []
        since = from_iso(now) - timedelta(days=self.days)
        return [i for i, at in versions[-self.versions:] if from_iso(at) >= since]


@_pickled
@dataclass(frozen=True, slots=True)
class Source:
    """A watched page, as configured."""

    name: str
    url: str
    every: str | None = None
    cron: str | None = None
    rules: ParseRules = ParseRules()
    alert: dict[str, bool] = field(default_factory=dict)
    timeout: float = 30.0
    robots: bool = True  # respect the site's robots.txt
    documents: str | None = None  # watch the documents it links to whose file name matches
    parent: str | None = None  # a linked document: the page that links to it
    render: str | None = None  # "browser": its text is drawn by JavaScript, render it first
    headers: tuple[tuple[str, str], ...] = ()  # sent with each request (may hold secrets)
    tags: tuple[str, ...] = ()  # for people and for [[notify]] tags filters
    memory: MemoryWindow = MemoryWindow()  # the versions a change is held against (`recall`)
    home: str | None = None  # a linked document: the host of the page the operator wrote
    proxy: str | None = field(default=None, repr=False)  # its own, before [fetch] proxy (may
    #                                                         hold a password: never shown)
    match: tuple[str, ...] = ()  # terms a change must mention to alert (`matching`)


@dataclass(frozen=True)
class FetchSettings:
    """The `[fetch]` table: how politely and how hard pages are fetched."""

    user_agent: str | None = None  # default: docwatch/VERSION (+project URL)
    concurrency: int = 100  # checks at once, over all hosts
    per_host: int = 4  # requests at once to one host
    min_delay: float = 0.0  # seconds between two requests to one host
    retries: int = 2  # more attempts after a connect/read error, a 429 or a 503
    backoff: float = 1.0  # seconds before the first retry, doubling after
    max_retry_after: float = 120.0  # a longer Retry-After fails the check instead of waiting
    max_bytes: int = 10 * 1024 * 1024
    failing_after: int = 3  # failed checks in a row that raise one "source failing" alert
    check_deadline: float = 0.0  # seconds for a whole check, retries included; 0: 3 × timeout,
    #                              at most 60 s
    processes: int = 0  # worker processes for many sources; 0: one per CPU, at most 4
    browser: str | None = None  # Chromium for `render = "browser"`; default: see `browser`
    browser_pages: int = 4  # pages rendered at once in a process
    settle: float = 0.25  # seconds a rendered page's DOM and requests stay still: it is drawn
    allow: Allowance = Allowance()  # inward addresses a page's URLs may reach (`boundary`)
    proxy: str | None = field(default=None, repr=False)  # before the environment's (`proxies`);
    #                                                         may hold a password: never shown
    no_proxy: tuple[str, ...] = ()  # hosts reached direct, besides NO_PROXY's
    ca_bundle: str | None = None  # a PEM file of CAs trusted besides the system's

    def worker_processes(self) -> int:
        return self.processes or min(os.cpu_count() or 1, 4)


@dataclass(frozen=True)
class NotifyTarget:
    """A `[[notify]]` channel: an Apprise URL with optional filters."""

    url: str
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_significance: float = 0.0
    digest: str = "immediate"
    name: str | None = None  # how the channel is stored and shown (its URL may hold secrets)
    tags: tuple[str, ...] = ()  # its sources include those tagged so (expanded at load)
    match: tuple[str, ...] = ()  # terms one of which a change must mention (`matching`)

    @property
    def key(self) -> str:
        """The channel's stored identity: its name, else its secret-free display form."""
        from .redact import channel_identity

        return self.name or channel_identity(self.url)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every identity rows for this channel may carry (named after they were queued)."""
        from .redact import channel_identity

        return (self.key, channel_identity(self.url))

    @property
    def shown_as(self) -> str:
        from .redact import channel_display

        return channel_display(self.url)

    def wants_status(self, source: str, event: str = "failing") -> bool:
        """True when this channel should hear of a status `event` of `source` (failing,
        recovered, gone, its content unreadable or back): a channel filtered by categories
        hears those it names, or all of them when it names "status"."""
        return (not self.sources or source in self.sources) and (
            not self.categories or "status" in self.categories or event in self.categories)

    def wants(self, change: Change) -> bool:
        """True when this channel should carry the change."""
        return (
            change.alert
            and (not self.sources or change.source in self.sources
                 or (change.source or "").split("/", 1)[0] in self.sources)  # its documents
            and (not self.categories or change.category in self.categories)
            and change.significance >= self.min_significance
            and (not self.match or _terms(self.match).matches(change))
        )


def _terms(texts: tuple[str, ...]):
    from .matching import Terms

    return Terms.of(texts)


@_pickled
@dataclass(frozen=True, slots=True)
class Block:
    """One passage of main content: a paragraph, list item, table row, dated entry or link."""

    kind: str  # paragraph | item | row | entry | link (a keyed row or item is a record)
    text: str
    date: str | None = None  # entries: the date as written ("3-4 April 2019")
    links: tuple[str, ...] = ()
    key: str | None = None  # records: the identifier it is matched by ("118-3", "SF-86")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, ())}

    @property
    def full_text(self) -> str:
        """The passage as the reader sees it: an entry's date is part of its words."""
        return f"{self.date} {self.text}".strip() if self.date else self.text


@_pickled
@dataclass(frozen=True, slots=True)
class Section:
    """The passages under one heading; `path` is the heading path, outermost first."""

    path: tuple[str, ...]
    blocks: tuple[Block, ...] = ()

    @property
    def heading(self) -> str:
        return self.path[-1] if self.path else ""

    @property
    def text(self) -> str:
        return "\n".join(b.full_text for b in self.blocks)


@dataclass(frozen=True)
class Document:
    """A parsed page: title, volatile metadata (recorded, never diffed) and sections."""

    title: str
    sections: tuple[Section, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    lang: str | None = field(default=None, compare=False)  # its dates and figures were read in

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "metadata": self.metadata, "sections": [
            {"path": list(s.path), "blocks": [b.to_dict() for b in s.blocks]} for s in self.sections
        ]}

    @property
    def text(self) -> str:
        return "\n\n".join("\n".join((" › ".join(s.path), s.text)) for s in self.sections)


@_pickled
@dataclass(slots=True)
class Change:
    """One change record, as the contract in SPEC.md defines it."""

    section: list[str]
    kind: str
    category: str
    old_text: str | None
    new_text: str | None
    diff: list[list[str]]
    figures: list[dict[str, str | None]]
    significance: float
    alert: bool
    source: str | None = None
    locator: str | None = None  # "¶4", "item 2", "row 3": where in the section
    date: str | None = None  # an entry's date in ISO form ("2023-07-11", "2023-07-11/2023-07-12")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fetched:
    """What `fetch` brings back: the body and response metadata, never parsed."""

    url: str
    final_url: str
    status_code: int
    body: bytes
    content_type: str | None = None
    content_language: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True)
class Outgoing:
    """Changes of one check for one channel: by index into the check's changes."""

    channel: str  # the channel's identity (`NotifyTarget.key`), never its URL
    indexes: tuple[int, ...]
    due_at: str  # the check's time, or the end of the digest window
    digest: str | None = None  # hourly | daily
    shown_as: str = ""  # the channel's URL in Apprise's privacy form


@_pickled
@dataclass(slots=True)
class CheckResult:
    """The outcome of one check of one source."""

    source: str
    status: str  # new | changed | noise_only | unchanged | error
    # Tuples, so the common none is one shared object (a run keeps every result until it
    # reports): the changes, and its linked documents' checks.
    changes: tuple[Change, ...] = ()
    error_kind: str | None = None
    error: str | None = None
    snapshot_id: int | None = None
    documents: tuple[CheckResult, ...] = ()
    events: tuple[StatusEvent, ...] = ()  # status events of this check

    @property
    def ok(self) -> bool:
        return self.status != "error"

    @property
    def alerts(self) -> list[Change]:
        return [c for c in self.changes if c.alert]


@_pickled
@dataclass(frozen=True, slots=True)
class Previous:
    """What the store remembers of a source's last good check."""

    snapshot_id: int
    content_hash: str
    etag: str | None
    last_modified: str | None
    parsed_with: str | None  # fingerprint of the parser and rules that made its sections
    seen_hash: str | None = None  # the body a later check read as this version (noise only)

    def same_bytes(self, digest: str) -> bool:
        """Whether a body with this hash is this version as stored or as last seen."""
        return digest in (self.content_hash, self.seen_hash)


@_pickled
@dataclass(frozen=True, slots=True)
class SourceState:
    """What a check needs to know of a source before it fetches: read once, before a run."""

    previous: Previous | None = None
    failures: int = 0  # failed checks in a row up to now
    last_kind: str | None = None  # the kind of the latest of those failures


@dataclass(frozen=True)
class StatusEvent:
    """What happened to a page at a check rather than in it: recorded in `events`, shown in
    `changes --status` and the feed, and sent to the channels that want it."""

    event: str  # one of STATUS_EVENTS
    detail: str  # "3 checks in a row read 22 characters where it had 9,614"


@dataclass(frozen=True)
class Message:
    """A message composed at check time (a status event) for these channels."""

    channels: tuple[tuple[str, str], ...]  # (identity, privacy form) of each channel
    title: str
    body: str
    kind: str = "status"


@dataclass
class Observation:
    """All one check learnt, before any of it is stored: `Store.record` writes it whole.

    Checks observe concurrently (in threads, or in worker processes that send observations to
    the one process that writes); each observation is then one transaction.
    """

    source: Source
    started_at: str
    duration_ms: int
    result: str  # new | changed | noise_only | unchanged | not_modified | error
    fetched: Fetched | None = None  # body emptied when unchanged: the stored one stands
    previous_id: int | None = None
    doc: Document | None = None
    changes: list[Change] = field(default_factory=list)
    parsed_with: str | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    events: list[StatusEvent] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None
    http_status: int | None = None
    documents: list[Observation] = field(default_factory=list)  # the linked ones it watches
    timings: dict[str, float] = field(default_factory=dict)  # seconds: fetch, parse, diff

    def outcome(self, snapshot_id: int | None) -> CheckResult:
        """The check's result, once stored (`snapshot_id` is what `Store.record` returned)."""
        status = "unchanged" if self.result == "not_modified" else self.result
        return CheckResult(self.source.name, status, tuple(self.changes), error_kind=self.error_kind,
                           error=self.error, snapshot_id=snapshot_id,
                           documents=tuple(d.outcome(None) for d in self.documents),
                           events=tuple(self.events))
