"""The history in SQLite, through sqlite-utils. The only module that speaks SQL.

History grows with changes, not with checks: an unchanged check adds one `fetches` row; raw
HTML is kept once per distinct content (gzip, keyed by SHA-256); a section version is one
`sections` row valid from the snapshot where it appears until the snapshot where it changes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import DocwatchError
from .models import Block, Change, Document, Fetched, Section, Source

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    hash TEXT PRIMARY KEY,          -- SHA-256 of the raw body
    encoding TEXT NOT NULL,         -- compression of `data`
    size INTEGER NOT NULL,          -- raw size in bytes
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    started_at TEXT NOT NULL,
    duration_ms INTEGER,
    result TEXT NOT NULL,           -- new | changed | unchanged | not_modified | error
    error_kind TEXT,                -- dns | connect | timeout | tls | gone | blocked | http_4xx | ...
    error TEXT,
    http_status INTEGER,
    final_url TEXT,
    content_hash TEXT,
    etag TEXT,
    last_modified TEXT,
    snapshot_id INTEGER REFERENCES snapshots(id),
    changes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS fetches_source ON fetches(source_id, id);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    fetch_id INTEGER REFERENCES fetches(id),
    taken_at TEXT NOT NULL,
    url TEXT,
    content_hash TEXT NOT NULL REFERENCES blobs(hash),
    content_type TEXT,
    title TEXT,
    metadata TEXT                   -- JSON: volatile lines such as "updated", "views"
);
CREATE INDEX IF NOT EXISTS snapshots_source ON snapshots(source_id, id);
CREATE TABLE IF NOT EXISTS sections (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    path TEXT NOT NULL,             -- JSON list of headings, outermost first
    heading TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    blocks TEXT NOT NULL,           -- JSON list of passages
    hash TEXT NOT NULL,
    valid_from INTEGER NOT NULL REFERENCES snapshots(id),
    valid_to INTEGER REFERENCES snapshots(id)   -- NULL while current
);
CREATE INDEX IF NOT EXISTS sections_current ON sections(source_id, valid_to);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    previous_snapshot_id INTEGER REFERENCES snapshots(id),
    detected_at TEXT NOT NULL,
    section TEXT NOT NULL,          -- JSON list
    section_path TEXT NOT NULL,     -- the same, joined with ' › '
    locator TEXT,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    old_text TEXT,
    new_text TEXT,
    diff TEXT NOT NULL,             -- JSON word diff
    figures TEXT NOT NULL,          -- JSON [{"old": .., "new": ..}]
    significance REAL NOT NULL,
    alert INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_source ON changes(source_id, detected_at);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    source_id INTEGER REFERENCES sources(id),
    snapshot_id INTEGER REFERENCES snapshots(id),
    channel TEXT NOT NULL,          -- Apprise URL
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,           -- pending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status);
CREATE VIEW IF NOT EXISTS current_sections AS
    SELECT sources.name AS source, sections.path, sections.heading, sections.position,
           sections.text, snapshots.taken_at AS since
    FROM sections
    JOIN sources ON sources.id = sections.source_id
    JOIN snapshots ON snapshots.id = sections.valid_from
    WHERE sections.valid_to IS NULL;
CREATE VIEW IF NOT EXISTS change_feed AS
    SELECT changes.id, sources.name AS source, sources.url, changes.section, changes.section_path,
           changes.locator, changes.kind, changes.category, changes.old_text, changes.new_text,
           changes.diff, changes.figures, changes.significance, changes.alert, changes.detected_at
    FROM changes JOIN sources ON sources.id = changes.source_id;
CREATE VIEW IF NOT EXISTS section_history AS
    SELECT sources.name AS source, sections.path, sections.heading, sections.position,
           sections.text, first.taken_at AS valid_from, last.taken_at AS valid_to
    FROM sections
    JOIN sources ON sources.id = sections.source_id
    JOIN snapshots first ON first.id = sections.valid_from
    LEFT JOIN snapshots last ON last.id = sections.valid_to;
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Previous:
    """What the store remembers of a source's last good check."""

    snapshot_id: int
    content_hash: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    title: str
    body: str
    attempts: int


class StoreError(DocwatchError):
    """The database file cannot be opened or written."""


class Store:
    """A docwatch database: open it once per process and pass it around."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                   check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable docwatch database ({e})") from None

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema {version} is newer than this docwatch ({SCHEMA_VERSION})")
        if version < SCHEMA_VERSION:
            with self.transaction():
                for statement in _statements(SCHEMA):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One check's writes: all of them or none (IMMEDIATE: take the write lock up front)."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        self.db.execute("COMMIT")

    # sources ----------------------------------------------------------------------------
    def source_id(self, source: Source) -> int:
        row = self.db.execute("SELECT id, url FROM sources WHERE name = ?", [source.name]).fetchone()
        if row:
            if row[1] != source.url:
                self.db.execute("UPDATE sources SET url = ? WHERE id = ?", [source.url, row[0]])
            return row[0]
        return self.db["sources"].insert(
            {"name": source.name, "url": source.url, "added_at": now_iso()}
        ).last_pk

    def previous(self, source: Source) -> Previous | None:
        row = self.db.execute(
            """SELECT snapshots.id, snapshots.content_hash, fetches.etag, fetches.last_modified
               FROM snapshots JOIN sources ON sources.id = snapshots.source_id
               LEFT JOIN fetches ON fetches.id = (
                   SELECT max(id) FROM fetches f WHERE f.source_id = sources.id
                   AND f.content_hash = snapshots.content_hash)
               WHERE sources.name = ? ORDER BY snapshots.id DESC LIMIT 1""",
            [source.name],
        ).fetchone()
        return Previous(*row) if row else None

    def raw(self, snapshot_id: int) -> tuple[bytes, str | None, str | None]:
        """(body, content type, url) of a snapshot, decompressed."""
        row = self.db.execute(
            """SELECT blobs.encoding, blobs.data, snapshots.content_type, snapshots.url
               FROM snapshots JOIN blobs ON blobs.hash = snapshots.content_hash
               WHERE snapshots.id = ?""",
            [snapshot_id],
        ).fetchone()
        if row is None:
            raise StoreError(f"no snapshot {snapshot_id}")
        encoding, data, ctype, url = row
        return (gzip.decompress(data) if encoding == "gzip" else data), ctype, url

    # writes -----------------------------------------------------------------------------
    def record_failure(self, source: Source, kind: str, message: str, *, started_at: str,
                       duration_ms: int, http_status: int | None = None) -> int:
        with self.transaction():
            return self._fetch_row(source, started_at, duration_ms, "error", error_kind=kind,
                                   error=message, http_status=http_status)

    def record_unchanged(self, source: Source, fetched: Fetched, *, started_at: str,
                         duration_ms: int, not_modified: bool = False) -> int:
        with self.transaction():
            return self._fetch_row(
                source, started_at, duration_ms, "not_modified" if not_modified else "unchanged",
                http_status=fetched.status_code, final_url=fetched.final_url,
                content_hash=None if not_modified else body_hash(fetched.body),
                etag=fetched.etag, last_modified=fetched.last_modified,
            )

    def record_snapshot(
        self,
        source: Source,
        fetched: Fetched,
        doc: Document,
        changes: list[Change],
        *,
        started_at: str,
        duration_ms: int,
        previous_id: int | None,
        outgoing: list[tuple[str, str, str]] = (),
    ) -> int:
        """Store a new version, its section versions, its changes and its outbox, atomically."""
        digest = body_hash(fetched.body)
        with self.transaction():
            if not self.db.execute("SELECT 1 FROM blobs WHERE hash = ?", [digest]).fetchone():
                self.db["blobs"].insert({
                    "hash": digest, "encoding": "gzip", "size": len(fetched.body),
                    "data": gzip.compress(fetched.body, 9),
                })
            fetch_id = self._fetch_row(
                source, started_at, duration_ms, "changed" if previous_id else "new",
                http_status=fetched.status_code, final_url=fetched.final_url,
                content_hash=digest, etag=fetched.etag, last_modified=fetched.last_modified,
                changes=len(changes),
            )
            sid = self.source_id(source)
            snapshot_id = self.db["snapshots"].insert({
                "source_id": sid, "fetch_id": fetch_id, "taken_at": started_at,
                "url": fetched.final_url, "content_hash": digest,
                "content_type": fetched.content_type, "title": doc.title,
                "metadata": json.dumps(doc.metadata, ensure_ascii=False),
            }).last_pk
            self.db.execute("UPDATE fetches SET snapshot_id = ? WHERE id = ?", [snapshot_id, fetch_id])
            self._write_sections(sid, snapshot_id, doc)
            self.db["changes"].insert_all(
                _change_row(c, sid, snapshot_id, previous_id, started_at) for c in changes
            )
            self.db["deliveries"].insert_all(
                {"source_id": sid, "snapshot_id": snapshot_id, "channel": channel, "title": title,
                 "body": body, "status": "pending", "attempts": 0, "created_at": started_at}
                for channel, title, body in outgoing
            )
            return snapshot_id

    def _fetch_row(self, source: Source, started_at: str, duration_ms: int, result: str,
                   **fields: Any) -> int:
        row = {"source_id": self.source_id(source), "started_at": started_at,
               "duration_ms": duration_ms, "result": result, "changes": 0}
        row.update(fields)
        return self.db["fetches"].insert(row).last_pk

    def _write_sections(self, source_id: int, snapshot_id: int, doc: Document) -> None:
        current = {
            h: i for i, h in self.db.execute(
                "SELECT id, hash FROM sections WHERE source_id = ? AND valid_to IS NULL", [source_id]
            ).fetchall()
        }
        keep = set()
        rows = []
        for position, section in enumerate(doc.sections):
            blocks = json.dumps([b.to_dict() for b in section.blocks], ensure_ascii=False)
            path = json.dumps(list(section.path), ensure_ascii=False)
            digest = hashlib.sha256(f"{position}\x00{path}\x00{blocks}".encode()).hexdigest()
            if digest in current:
                keep.add(current[digest])
                continue
            rows.append({"source_id": source_id, "path": path, "heading": section.heading,
                         "position": position, "text": section.text, "blocks": blocks,
                         "hash": digest, "valid_from": snapshot_id})
        ended = [i for i in current.values() if i not in keep]
        if ended:
            marks = ",".join("?" * len(ended))
            self.db.execute(f"UPDATE sections SET valid_to = ? WHERE id IN ({marks})",
                            [snapshot_id, *ended])
        self.db["sections"].insert_all(rows)

    # reads ------------------------------------------------------------------------------
    def document(self, snapshot_id: int) -> Document:
        """A snapshot's sections rebuilt from the section versions valid at it."""
        snap = self.db.execute("SELECT source_id, title, metadata FROM snapshots WHERE id = ?",
                               [snapshot_id]).fetchone()
        if snap is None:
            raise StoreError(f"no snapshot {snapshot_id}")
        rows = self.db.execute(
            """SELECT path, blocks FROM sections WHERE source_id = ? AND valid_from <= ?
               AND (valid_to IS NULL OR valid_to > ?) ORDER BY position""",
            [snap[0], snapshot_id, snapshot_id],
        ).fetchall()
        sections = tuple(
            Section(tuple(json.loads(p)), tuple(Block.from_dict(b) for b in json.loads(bl)))
            for p, bl in rows
        )
        return Document(snap[1] or "", sections, json.loads(snap[2] or "{}"))

    def changes(self, *, source: str | None = None, since: str | None = None,
                category: str | None = None, alerts_only: bool = True,
                limit: int | None = None) -> list[tuple[dict[str, Any], Change]]:
        """Recorded changes, newest first, each with its source, url and time."""
        where, args = ["1 = 1"], []
        if source:
            where.append("sources.name = ?")
            args.append(source)
        if since:
            where.append("changes.detected_at >= ?")
            args.append(since)
        if category:
            where.append("changes.category = ?")
            args.append(category)
        if alerts_only:
            where.append("changes.alert = 1")
        sql = f"""SELECT changes.*, sources.name AS source_name, sources.url AS source_url
                  FROM changes JOIN sources ON sources.id = changes.source_id
                  WHERE {' AND '.join(where)} ORDER BY changes.id DESC"""
        if limit:
            sql += f" LIMIT {int(limit)}"
        out = []
        for row in self.db.query(sql, args):
            change = Change(
                section=json.loads(row["section"]), kind=row["kind"], category=row["category"],
                old_text=row["old_text"], new_text=row["new_text"], diff=json.loads(row["diff"]),
                figures=json.loads(row["figures"]), significance=row["significance"],
                alert=bool(row["alert"]), source=row["source_name"], locator=row["locator"],
            )
            out.append(({"id": row["id"], "url": row["source_url"],
                         "detected_at": row["detected_at"], "snapshot_id": row["snapshot_id"]},
                        change))
        return out

    def last_fetch(self, source: str) -> dict[str, Any] | None:
        rows = list(self.db.query(
            """SELECT fetches.* FROM fetches JOIN sources ON sources.id = fetches.source_id
               WHERE sources.name = ? ORDER BY fetches.id DESC LIMIT 1""", [source]))
        return rows[0] if rows else None

    def count(self, table: str, **where: Any) -> int:
        sql = f"SELECT count(*) FROM [{table}]"
        if where:
            sql += " WHERE " + " AND ".join(f"[{k}] = ?" for k in where)
        return self.db.execute(sql, list(where.values())).fetchone()[0]

    # outbox -----------------------------------------------------------------------------
    def pending_deliveries(self) -> list[Delivery]:
        return [Delivery(*r) for r in self.db.execute(
            "SELECT id, channel, title, body, attempts FROM deliveries WHERE status = 'pending' ORDER BY id"
        ).fetchall()]

    def delivery_done(self, delivery_id: int, *, ok: bool, error: str | None = None,
                      max_attempts: int = 5) -> None:
        if ok:
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, "
                "last_error = NULL WHERE id = ?", [now_iso(), delivery_id])
        else:
            self.db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, status = CASE "
                "WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE id = ?",
                [error, max_attempts, delivery_id])


def _statements(script: str) -> list[str]:
    """Split the schema into statements (sqlite3.complete_statement knows where one ends)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]


def _change_row(c: Change, source_id: int, snapshot_id: int, previous_id: int | None,
                at: str) -> dict[str, Any]:
    return {
        "source_id": source_id, "snapshot_id": snapshot_id, "previous_snapshot_id": previous_id,
        "detected_at": at, "section": json.dumps(c.section, ensure_ascii=False),
        "section_path": " › ".join(c.section), "locator": c.locator, "kind": c.kind,
        "category": c.category, "old_text": c.old_text, "new_text": c.new_text,
        "diff": json.dumps(c.diff, ensure_ascii=False),
        "figures": json.dumps(c.figures, ensure_ascii=False),
        "significance": c.significance, "alert": int(c.alert),
    }
