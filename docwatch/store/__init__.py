"""The history in SQLite, through sqlite-utils. The only package that speaks SQL.

History grows with changes, not with checks: an unchanged check adds one small `fetches` row.
Raw HTML is kept once per distinct content, keyed by SHA-256 and zstd-compressed against the
source's previous version (a few hundred bytes for a paragraph changed in a 30 KB page). A
passage is stored once per source; a section version is a list of passage ids, valid from the
snapshot where it appears until the snapshot where it changes; a snapshot's `layout` lists its
sections in page order.

`Store` is made of one piece per job: the connection (opening, upgrades, transactions),
raw bodies, history writes, queries and the alert outbox; `StoreThread` lets many threads
share one connection.
"""

from __future__ import annotations

from .blobs import Blobs
from .codec import expand_diff
from .connection import Connection, StaleObservation, StoreError, body_hash, made_by
from .outbox import Delivery, Outbox
from .queries import Queries
from .thread import StoreThread
from .writes import Writes

__all__ = ["Delivery", "StaleObservation", "Store", "StoreError", "StoreThread", "body_hash",
           "expand_diff", "made_by"]


class Store(Connection, Blobs, Writes, Queries, Outbox):
    """A docwatch database: open it once per process and pass it around."""
