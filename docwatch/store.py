"""The history in SQLite, through sqlite-utils. The only module that speaks SQL.

History grows with changes, not with checks: an unchanged check adds one small `fetches` row.
Raw HTML is kept once per distinct content, keyed by SHA-256 and zstd-compressed against the
source's previous version (a few hundred bytes for a paragraph changed in a 30 KB page). A
passage is stored once per source; a section version is a list of passage ids, valid from the
snapshot where it appears until the snapshot where it changes; a snapshot's `layout` lists its
sections in page order.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import queue
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils
import zstandard

from . import migrations, redact
from .errors import DocwatchError
from .times import from_iso, now_iso, to_iso
from .models import (Block, Change, Document, Fetched, Message, Observation, Outgoing, Previous,
                     Section, Source, SourceState)

MAX_DELTA_CHAIN = 32  # a stored page is rebuilt from at most this many deltas
ZSTD_LEVEL = 9  # within 3 % of level 19 on ministry pages, ten times faster



def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Delivery:
    """An outbox row due to be sent."""

    id: int
    channel: str
    title: str
    body: str
    attempts: int
    change_ids: list[int] | None
    created_at: str


class StoreError(DocwatchError):
    """The database file cannot be opened or written."""


class StaleObservation(Exception):
    """Another process recorded a newer version of the source while this check ran: its
    changes must be found again against `latest` (the pipeline does, then records)."""

    def __init__(self, latest: int):
        super().__init__(f"snapshot {latest} was recorded meanwhile")
        self.latest = latest


def made_by(path: str | Path) -> set[str]:
    """The commands that marked the database at `path` as theirs (read without writing)."""
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            return {r[0] for r in conn.execute("SELECT command FROM made_by")}
        finally:
            conn.close()
    except sqlite3.Error:  # not SQLite, or an older docwatch's or another program's
        return set()


class Store:
    """A docwatch database: open it once per process and pass it around."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._sources: dict[str, tuple[int, str]] = {}  # name -> (id, url)
        try:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                   check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL is still crash-safe for the application (a commit survives a
            # killed process); it skips an fsync per commit, which matters at 1,000 checks.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable docwatch database ({e})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def checkpoint(self) -> bool:
        """Fold the write-ahead log back into the database and empty it, if no reader holds
        it (a moment's wait at most); True when it was emptied. Done after a `fetch --once`
        and at `run`'s heartbeats, so the log does not grow while readers come and go."""
        self.db.execute("PRAGMA busy_timeout = 200")
        try:
            busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError:  # locked by a writer this instant: next time
            busy = 1
        finally:
            self.db.execute("PRAGMA busy_timeout = 30000")
        return not busy

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > migrations.LATEST:
            raise StoreError(f"{self.path}: schema {version} is newer than this docwatch "
                             f"({migrations.LATEST}); upgrade docwatch")
        steps = [s for s in migrations.STEPS if s[0] > version]
        if not steps:
            return
        with self.transaction():  # every step or none: a killed upgrade leaves it as it was
            for step, before, data, after in steps:
                for statement in migrations.statements(before):
                    self.db.execute(statement)
                if data:
                    data(self.db.conn)
                for statement in migrations.statements(after):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {step}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One check's writes: all of them or none (IMMEDIATE: take the write lock up front)."""
        if self.db.conn.in_transaction:
            yield
            return
        # Threads of this process queue on a lock rather than in SQLite's busy handler, whose
        # sleeps add up when a hundred checks finish at once; other processes still meet the
        # busy timeout.
        with _write_lock(self.path):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    if self.db.conn.in_transaction:  # SQLite rolls back itself on a full disk
                        self.db.rollback()
                    self._sources.clear()  # it may remember a source row that was rolled back
                    raise
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as e:
                raise self.write_error(e) from None

    def write_error(self, e: sqlite3.Error) -> Exception:
        """A failed write in words: a full or failing disk says so; nothing of it was kept."""
        text = str(e)
        if any(k in text for k in ("disk is full", "disk I/O error", "readonly database",
                                   "unable to open")):
            return StoreError(f"{self.path}: cannot write ({text}): is the disk full or "
                              "read-only? Nothing of this check was kept; the database is as "
                              "it was")
        return e

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        """INSERT one row, returning its id (plain SQL: this is the hot path of every check)."""
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        return self.db.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})",
                               list(row.values())).lastrowid

    # sources ----------------------------------------------------------------------------
    def source_id(self, source: Source) -> int:
        url = redact.source_url(source.url)  # a password or token in it stays in the config
        cached = self._sources.get(source.name)
        if cached and (not url or cached[1] == url):
            return cached[0]
        row = self.db.execute("SELECT id, url FROM sources WHERE name = ?", [source.name]).fetchone()
        if row:
            if url and row[1] != url:
                self.db.execute("UPDATE sources SET url = ? WHERE id = ?", [url, row[0]])
            sid = row[0]
        else:
            parent = self.source_id(Source(source.parent, "")) if source.parent else None
            sid = self._insert("sources", {"name": source.name, "url": url, "added_at": now_iso(),
                                           "parent_id": parent})
        self._sources[source.name] = (sid, url or row[1])
        return sid

    def states(self, names: Iterable[str] | None = None) -> dict[str, SourceState]:
        """Per source (all, or these names): its last good version and its failures in a row.

        One query for a whole run, so a thousand checks do not each ask before fetching.
        """
        where, args = "", []
        if names is not None:
            where, args = "WHERE sources.name IN (SELECT value FROM json_each(?))", [
                json.dumps(list(names))]
        rows = self.db.execute(
            f"""SELECT sources.name, snap.id, snap.content_hash, sources.etag,
                       sources.last_modified, snap.parsed_with,
                       (SELECT count(*) FROM fetches f WHERE f.source_id = sources.id
                          AND f.id > coalesce((SELECT g.id FROM fetches g
                                               WHERE g.source_id = sources.id
                                                 AND g.result != 'error'
                                               ORDER BY g.id DESC LIMIT 1), 0)),
                       (SELECT f.error_kind FROM fetches f WHERE f.source_id = sources.id
                        ORDER BY f.id DESC LIMIT 1)
                FROM sources LEFT JOIN snapshots snap ON snap.id =
                    (SELECT max(id) FROM snapshots WHERE snapshots.source_id = sources.id)
                {where}""", args)
        return {name: SourceState(Previous(sid, digest, etag, modified, parsed_with)
                                  if sid is not None else None,
                                  failures, last_kind if failures else None)
                for name, sid, digest, etag, modified, parsed_with, failures, last_kind in rows}

    def raw(self, snapshot_id: int) -> tuple[bytes, str | None, str | None]:
        """(body, content type, url) of a snapshot, decompressed."""
        row = self.db.execute(
            "SELECT content_hash, content_type, url FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchone()
        if row is None:
            raise StoreError(f"no snapshot {snapshot_id}")
        return self._blob(row[0]), row[1], row[2]

    def _blob(self, digest: str) -> bytes:
        chain = []  # this blob, then its dictionary, its dictionary's dictionary, ...
        while digest:
            row = self.db.execute("SELECT encoding, data, base FROM blobs WHERE hash = ?",
                                  [digest]).fetchone()
            if row is None:
                raise StoreError(f"raw page {digest[:12]} is missing from the database")
            chain.append(row)
            digest = row[2]
        body = b""
        for encoding, data, _ in reversed(chain):
            body = _decompress(encoding, data, body)
        return body

    def _put_blob(self, source_id: int, body: bytes) -> str:
        """Store a body once; as a zstd delta against the source's last stored body if any."""
        digest = body_hash(body)
        if self.db.execute("SELECT 1 FROM blobs WHERE hash = ?", [digest]).fetchone():
            return digest
        base = self.db.execute(
            """SELECT blobs.hash, blobs.depth FROM snapshots JOIN blobs
               ON blobs.hash = snapshots.content_hash WHERE snapshots.source_id = ?
               ORDER BY snapshots.id DESC LIMIT 1""", [source_id]).fetchone()
        if base and base[1] < MAX_DELTA_CHAIN:
            dictionary = zstandard.ZstdCompressionDict(self._blob(base[0]),
                                                       dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            data = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=dictionary).compress(body)
            row = {"encoding": "zstd-delta", "base": base[0], "depth": base[1] + 1, "data": data}
        else:
            row = {"encoding": "zstd", "base": None, "depth": 0, "data": _zstd().compress(body)}
        self._insert("blobs", {"hash": digest, "size": len(body), **row})
        return digest

    # writes -----------------------------------------------------------------------------
    def record(self, obs: Observation) -> int | None:
        """Store all one check learnt, atomically: its fetch row, the new version with its
        sections, changes and outbox rows, and its status messages.

        Returns the snapshot the source is now at (None after a failure). The documents the
        page links to are recorded with it, each as a source of its own.
        """
        with self.transaction():
            snapshot_id = self._record_one(obs)
            for document in obs.documents:
                try:
                    self._record_one(document)
                except StaleObservation:  # another process has recorded it: checked again later
                    continue
            return snapshot_id

    def _record_one(self, obs: Observation) -> int | None:
        sid = self.source_id(obs.source)
        snapshot_id = obs.previous_id
        if obs.result in ("new", "changed", "noise_only") and (
                latest := self._latest(sid)) != obs.previous_id:
            # `docwatch run` and a cron `fetch --once` checked the page at the same time.
            if self._content_hash(latest) != body_hash(obs.fetched.body):
                raise StaleObservation(latest)
            obs = replace(obs, result="unchanged", changes=[], outgoing=[],
                          fetched=replace(obs.fetched, body=b""), previous_id=latest)
            snapshot_id = latest  # that very version is stored already: nothing twice
        if obs.result == "error":
            self._fetch_row(obs, error_kind=obs.error_kind, error=obs.error,
                            http_status=obs.http_status)
            snapshot_id = None
        elif obs.result in ("unchanged", "not_modified"):
            # One small row: the page is still the stored snapshot (URL and hash live there).
            self._validators(sid, obs.fetched)
            self._fetch_row(obs, http_status=obs.fetched.status_code, snapshot_id=snapshot_id)
        else:
            snapshot_id = self._record_version(sid, obs)
        for message in obs.messages:
            self._queue_message(sid, message, obs.started_at)
        return snapshot_id

    def _latest(self, source_id: int) -> int | None:
        return self.db.execute("SELECT max(id) FROM snapshots WHERE source_id = ?",
                               [source_id]).fetchone()[0]

    def _content_hash(self, snapshot_id: int) -> str:
        return self.db.execute("SELECT content_hash FROM snapshots WHERE id = ?",
                               [snapshot_id]).fetchone()[0]

    def _validators(self, source_id: int, fetched: Fetched) -> None:
        """Keep the ETag/Last-Modified for the next conditional GET (state, not history)."""
        if fetched.etag or fetched.last_modified:
            self.db.execute(
                "UPDATE sources SET etag = ?, last_modified = ? WHERE id = ? "
                "AND (etag IS NOT ? OR last_modified IS NOT ?)",
                [fetched.etag, fetched.last_modified, source_id, fetched.etag,
                 fetched.last_modified])

    def _record_version(self, source_id: int, obs: Observation) -> int:
        """A new version: raw body, fetch row, snapshot, sections, changes and outbox rows."""
        fetched, doc = obs.fetched, obs.doc
        digest = self._put_blob(source_id, fetched.body)
        self._validators(source_id, fetched)
        fetch_id = self._fetch_row(
            obs, http_status=fetched.status_code, final_url=fetched.final_url,
            content_hash=digest, etag=fetched.etag, last_modified=fetched.last_modified,
            changes=len(obs.changes),
        )
        snapshot_id = self._insert("snapshots", {
            "source_id": source_id, "fetch_id": fetch_id, "taken_at": obs.started_at,
            "url": fetched.final_url, "content_hash": digest,
            "content_type": fetched.content_type, "title": doc.title,
            "metadata": json.dumps(doc.metadata, ensure_ascii=False),
            "parsed_with": obs.parsed_with,
        })
        self.db.execute("UPDATE fetches SET snapshot_id = ? WHERE id = ?", [snapshot_id, fetch_id])
        ids = self._write_changes(source_id, snapshot_id, obs.previous_id, obs.started_at, doc,
                                  obs.changes)
        for out in obs.outgoing:
            self._queue(source_id, snapshot_id, out, [ids[i] for i in out.indexes],
                        obs.started_at)
        return snapshot_id

    def _fetch_row(self, obs: Observation, **fields: Any) -> int:
        row = {"source_id": self.source_id(obs.source), "started_at": obs.started_at,
               "duration_ms": obs.duration_ms, "result": obs.result, "changes": 0}
        row.update(fields)
        return self._insert("fetches", row)

    def _write_changes(self, source_id: int, snapshot_id: int, previous_id: int | None, at: str,
                       doc: Document, changes: list[Change]) -> list[int]:
        """The version's sections, then its changes (whose texts point at stored passages)."""
        # The version before this one is the one whose sections are still current.
        current = self.db.execute(
            """SELECT passages.id, passages.kind, passages.text, passages.date, passages.links
               FROM sections, json_each(sections.passages) p
               JOIN passages ON passages.id = p.value
               WHERE sections.source_id = ? AND sections.valid_to IS NULL""", [source_id]).fetchall()
        old = {text: pid for pid, _, text, _, _ in current}
        known = {Block(kind, text, date, tuple(json.loads(links)) if links else ()): pid
                 for pid, kind, text, date, links in current}
        new = self._write_sections(source_id, snapshot_id, doc, known)
        return [self._insert("changes", _change_row(c, source_id, snapshot_id, previous_id, at,
                                                    old, new)) for c in changes]

    def _queue(self, source_id: int, snapshot_id: int, out: Outgoing, change_ids: list[int],
               at: str) -> None:
        """An outbox row for these changes, or more changes for the channel's open digest."""
        if out.digest:
            row = self.db.execute(
                "SELECT id, change_ids FROM deliveries WHERE channel = ? AND kind = 'digest' "
                "AND due_at = ? AND status = 'pending'", [out.channel, out.due_at]).fetchone()
            if row:
                self.db.execute("UPDATE deliveries SET change_ids = ? WHERE id = ?",
                                [json.dumps(json.loads(row[1]) + change_ids), row[0]])
                return
        self._insert("deliveries", {
            "source_id": None if out.digest else source_id,
            "snapshot_id": None if out.digest else snapshot_id, "channel": out.channel,
            "shown_as": out.shown_as or None, "kind": "digest" if out.digest else "changes", "change_ids": json.dumps(change_ids),
            "title": "", "body": "", "status": "pending", "attempts": 0, "created_at": at,
            "due_at": out.due_at,
        })

    def _queue_message(self, source_id: int, message: Message, at: str) -> None:
        """An outbox row per channel for a message composed at check time (a status event)."""
        self.db["deliveries"].insert_all(
            {"source_id": source_id, "channel": channel, "shown_as": shown or None,
             "kind": message.kind, "title": message.title, "body": message.body,
             "status": "pending", "attempts": 0, "created_at": at, "due_at": at}
            for channel, shown in message.channels)

    def _write_sections(self, source_id: int, snapshot_id: int, doc: Document,
                        known: dict[Block, int]) -> dict[str, int]:
        """The version's section rows and layout; `known` maps passages to ids (and grows)."""
        current = dict(self.db.execute(
            "SELECT hash, id FROM sections WHERE source_id = ? AND valid_to IS NULL", [source_id]
        ).fetchall())
        kept: dict[str, int] = {}
        layout = []
        texts: dict[str, int] = {}
        for section in doc.sections:
            ids = [self._passage(source_id, b, known) for b in section.blocks]
            texts.update((b.text, i) for b, i in zip(section.blocks, ids))
            path = json.dumps(list(section.path), ensure_ascii=False)
            digest = migrations.section_hash(path, ids)
            if digest not in kept:
                kept[digest] = current.get(digest) or self._insert("sections", {
                    "source_id": source_id, "path": path, "heading": section.heading,
                    "passages": json.dumps(ids), "hash": digest, "valid_from": snapshot_id,
                })
            layout.append(kept[digest])
        ended = [i for h, i in current.items() if h not in kept]
        if ended:
            marks = ",".join("?" * len(ended))
            self.db.execute(f"UPDATE sections SET valid_to = ? WHERE id IN ({marks})",
                            [snapshot_id, *ended])
        self.db.execute("UPDATE snapshots SET layout = ? WHERE id = ?",
                        [json.dumps(layout), snapshot_id])
        return texts

    def _passage(self, source_id: int, b: Block, known: dict[Block, int]) -> int:
        """The id of this passage of this source, stored the first time it is seen."""
        pid = known.get(b)  # most passages of a new version are the previous version's
        if pid is not None:
            return pid
        links = list(b.links)
        digest = migrations.passage_hash(b.kind, b.date, b.text, links)
        row = self.db.execute("SELECT id FROM passages WHERE source_id = ? AND hash = ?",
                              [source_id, digest]).fetchone()
        known[b] = row[0] if row else self._insert("passages", {
            "source_id": source_id, "hash": digest, "kind": b.kind, "date": b.date,
            "text": b.text, "links": json.dumps(links, ensure_ascii=False) if links else None,
        })
        return known[b]

    # reads ------------------------------------------------------------------------------
    def document(self, snapshot_id: int) -> Document:
        """A snapshot's sections rebuilt from the section versions valid at it."""
        snap = self.db.execute("SELECT title, metadata, layout FROM snapshots WHERE id = ?",
                               [snapshot_id]).fetchone()
        if snap is None:
            raise StoreError(f"no snapshot {snapshot_id}")
        layout = json.loads(snap[2])
        marks = ",".join("?" * len(layout))
        stored = {i: (p, ids) for i, p, ids in self.db.execute(
            f"SELECT id, path, passages FROM sections WHERE id IN ({marks})", layout)}
        wanted = {pid for i in layout for pid in json.loads(stored[i][1])}
        marks = ",".join("?" * len(wanted))
        blocks = {r[0]: Block(r[1], r[2], r[3], tuple(json.loads(r[4] or "[]")))
                  for r in self.db.execute(
                      f"SELECT id, kind, text, date, links FROM passages WHERE id IN ({marks})",
                      list(wanted))}
        sections = tuple(
            Section(tuple(json.loads(stored[i][0])),
                    tuple(blocks[pid] for pid in json.loads(stored[i][1])))
            for i in layout
        )
        return Document(snap[0] or "", sections, json.loads(snap[1] or "{}"))

    def changes(self, *, source: str | None = None, since: str | None = None,
                category: str | None = None, alerts_only: bool = True,
                limit: int | None = None, snapshot_id: int | None = None,
                oldest_first: bool = False, ids: list[int] | None = None,
                ) -> list[tuple[dict[str, Any], Change]]:
        """Recorded changes, newest first, each with its source, url and time."""
        where, args = ["1 = 1"], []
        if ids is not None:
            where.append(f"changes.id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        if snapshot_id is not None:
            where.append("changes.snapshot_id = ?")
            args.append(snapshot_id)
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
        sql = f"""SELECT changes.*, sources.name AS source_name, sources.url AS source_url,
                         coalesce(changes.old_text, old.text) AS old,
                         coalesce(changes.new_text, new.text) AS new,
                         snap.title AS page_title, coalesce(snap.url, sources.url) AS page_url
                  FROM changes JOIN sources ON sources.id = changes.source_id
                  JOIN snapshots snap ON snap.id = changes.snapshot_id
                  LEFT JOIN passages old ON old.id = changes.old_passage_id
                  LEFT JOIN passages new ON new.id = changes.new_passage_id
                  WHERE {' AND '.join(where)}
                  ORDER BY changes.id {'ASC' if oldest_first else 'DESC'}"""
        if limit:
            sql += f" LIMIT {int(limit)}"
        out = []
        for row in self.db.query(sql, args):
            change = Change(
                section=json.loads(row["section"]), kind=row["kind"], category=row["category"],
                old_text=row["old"], new_text=row["new"],
                diff=expand_diff(json.loads(row["diff"]), row["old"] or "", row["new"] or ""),
                figures=json.loads(row["figures"]), significance=row["significance"],
                alert=bool(row["alert"]), source=row["source_name"], locator=row["locator"],
                date=row["date"],
            )
            out.append(({"id": row["id"], "url": row["source_url"],
                         "detected_at": row["detected_at"], "snapshot_id": row["snapshot_id"],
                         "title": row["page_title"], "page_url": row["page_url"]}, change))
        return out

    def snapshot_at(self, source: str, at: str | None = None) -> int:
        """The snapshot showing `source` at `at`: a snapshot id, a date or time, or now."""
        sql = """SELECT snapshots.id FROM snapshots JOIN sources ON sources.id = snapshots.source_id
                 WHERE sources.name = ?"""
        args: list[Any] = [source]
        if at and at.isdigit():
            sql += " AND snapshots.id = ?"
            args.append(int(at))
        elif at:
            # A bare date means the end of that day; any ISO prefix compares as text.
            sql += (" AND CASE WHEN length(?) = 10 THEN snapshots.taken_at < date(?, '+1 day') "
                    "ELSE snapshots.taken_at <= ? END")
            args += [at, at, at]
        row = self.db.execute(sql + " ORDER BY snapshots.id DESC LIMIT 1", args).fetchone()
        if row is None:
            known = self.db.execute("SELECT 1 FROM sources WHERE name = ?", [source]).fetchone()
            raise StoreError(f"{source}: " + (f"no snapshot at {at}" if known and at
                                                else "no snapshot recorded" if known
                                                else "unknown source in this database"))
        return row[0]

    def snapshot_info(self, snapshot_id: int) -> dict[str, Any]:
        return next(self.db.query(
            "SELECT id, taken_at, url, title, metadata FROM snapshots WHERE id = ?", [snapshot_id]))

    def section_versions(self, source: str, section: str | None = None) -> list[dict[str, Any]]:
        """Every version of the source's sections (whose path mentions `section`), oldest first."""
        sql = """SELECT section_id, section_history.path, section_history.heading,
                        section_history.text, section_history.valid_from,
                        section_history.valid_to, sections.valid_from AS snapshot_id
                 FROM section_history JOIN sections ON sections.id = section_history.section_id
                 WHERE source = ?"""
        args = [source]
        if section:
            sql += " AND section_history.path LIKE ?"
            args.append(f"%{section}%")
        return list(self.db.query(sql + " ORDER BY sections.valid_from, section_id", args))

    def fingerprint_of(self, snapshot_id: int) -> str | None:
        """The parser fingerprint a snapshot's sections were made with."""
        row = self.db.execute("SELECT parsed_with FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
        return row[0] if row else None

    def snapshots_of(self, source: str) -> list[int]:
        return [r[0] for r in self.db.execute(
            """SELECT snapshots.id FROM snapshots JOIN sources ON sources.id = snapshots.source_id
               WHERE sources.name = ? ORDER BY snapshots.id""", [source])]

    def has_source(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sources WHERE name = ?", [name]).fetchone() is not None

    def mark_made_by(self, command: str) -> None:
        """Note that `command` made this database (the demo may replace only its own)."""
        self.db.execute("INSERT OR REPLACE INTO made_by (command, at) VALUES (?, ?)",
                        [command, now_iso()])

    def source_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM sources ORDER BY name")]

    def changes_at(self, snapshot_id: int) -> list[Change]:
        return [c for _, c in self.changes(snapshot_id=snapshot_id, alerts_only=False,
                                           oldest_first=True)]

    def rewrite_history(self, source: Source,
                        versions: list[tuple[int, Document, list[Change], str]]) -> None:
        """Replace a source's sections, passages and changes with `versions` (one transaction).

        `versions` is every snapshot of the source, oldest first: (snapshot id, its document,
        the changes from the version before, parser fingerprint). Fetch log, raw HTML and the
        outbox stay as they are.
        """
        with self.transaction():
            sid = self.source_id(source)
            for table in ("changes", "sections", "passages"):
                self.db.execute(f"DELETE FROM {table} WHERE source_id = ?", [sid])
            previous = None
            for snapshot_id, doc, changes, parsed_with in versions:
                taken_at, = self.db.execute("SELECT taken_at FROM snapshots WHERE id = ?",
                                            [snapshot_id]).fetchone()
                self.db.execute("UPDATE snapshots SET title = ?, metadata = ?, parsed_with = ? "
                                "WHERE id = ?", [doc.title, json.dumps(doc.metadata, ensure_ascii=False),
                                                 parsed_with, snapshot_id])
                self._write_changes(sid, snapshot_id, previous, taken_at, doc, changes)
                self.db.execute(
                    "UPDATE fetches SET changes = ?, result = CASE WHEN result = 'new' THEN 'new' "
                    "WHEN ? THEN 'changed' ELSE 'noise_only' END WHERE snapshot_id = ? "
                    "AND result IN ('new', 'changed', 'noise_only')",
                    [len(changes), bool(changes), snapshot_id])
                previous = snapshot_id

    def status(self) -> dict[str, dict[str, Any]]:
        """Per source: last check, its result and error, failures in a row, changes, versions."""
        rows = self.db.query(
            """SELECT sources.name, sources.url, sources.next_run,
                      last.started_at AS last_check, last.result, last.error_kind, last.error,
                      (SELECT count(*) FROM changes WHERE changes.source_id = sources.id
                         AND changes.alert = 1) AS changes,
                      (SELECT count(*) FROM snapshots WHERE snapshots.source_id = sources.id)
                         AS versions
               FROM sources
               LEFT JOIN fetches last ON last.id = (
                   SELECT max(id) FROM fetches WHERE fetches.source_id = sources.id)""")
        states = self.states()
        return {r["name"]: {**r, "failing": states[r["name"]].failures} for r in rows}

    def last_checked(self) -> dict[str, str]:
        """Source name -> when its last check started (any result)."""
        return dict(self.db.execute(
            """SELECT sources.name, fetches.started_at FROM sources JOIN fetches ON fetches.id = (
                   SELECT max(id) FROM fetches WHERE fetches.source_id = sources.id)"""))

    def set_next_run(self, schedule: list[tuple[Source, str | None]]) -> None:
        """Record when `docwatch run` will next check each source (state, updated in place)."""
        with self.transaction():
            for source, at in schedule:
                self.db.execute("UPDATE sources SET next_run = ? WHERE id = ?",
                                [at, self.source_id(source)])

    def robots(self) -> dict[str, tuple[float, str | None]]:
        """robots.txt files read by earlier runs: site -> (when, in epoch seconds; the file,
        or None when the site has none)."""
        return {site: (from_iso(read_at).timestamp(), body) for site, read_at, body in self.db.execute(
            "SELECT site, read_at, body FROM robots")}

    def save_robots(self, read: dict[str, tuple[float, str | None]]) -> None:
        """Keep robots.txt files just read, for the next run (state, replaced in place)."""
        if not read:
            return
        with self.transaction():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO robots (site, read_at, body) VALUES (?, ?, ?)",
                [(site, to_iso(datetime.fromtimestamp(at, timezone.utc)), body)
                 for site, (at, body) in read.items()])

    def count(self, table: str, **where: Any) -> int:
        sql = f"SELECT count(*) FROM [{table}]"
        if where:
            sql += " WHERE " + " AND ".join(f"[{k}] = ?" for k in where)
        return self.db.execute(sql, list(where.values())).fetchone()[0]

    # outbox -----------------------------------------------------------------------------
    def deliverable(self, now: str) -> list[Delivery]:
        """Outbox rows to send now: pending or failed before, and due (digests: window closed)."""
        return [Delivery(i, ch, t, b, a, json.loads(ids) if ids else None, c)
                for i, ch, t, b, a, ids, c in self.db.execute(
                    "SELECT id, channel, title, body, attempts, change_ids, created_at "
                    "FROM deliveries WHERE status IN ('pending', 'failed', 'sending') "
                    "AND (due_at IS NULL OR due_at <= ?) ORDER BY id", [now])]

    def claim(self, delivery_id: int) -> bool:
        """Take a row for sending; False when another check or process already has it.

        A claim by a process that is gone (killed mid-send) is taken over: the message may
        have left, and goes again with the same idempotency key.
        """
        me = _claimant()
        with self.transaction():
            row = self.db.execute("SELECT status, claimed_by FROM deliveries WHERE id = ?",
                                  [delivery_id]).fetchone()
            if row is None or row[0] not in ("pending", "failed", "sending"):
                return False
            if row[0] == "sending" and _alive(row[1]):
                return False
            self.db.execute("UPDATE deliveries SET status = 'sending', claimed_by = ? WHERE id = ?",
                            [me, delivery_id])
            return True

    def delivery_done(self, delivery_id: int, *, ok: bool, error: str | None = None,
                      attempts: int = 1, title: str | None = None, body: str | None = None,
                      give_up: bool = False) -> None:
        """Record a delivery's outcome; a sent row keeps the text of what was sent."""
        if ok:
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + ?, sent_at = ?, "
                "last_error = NULL, title = coalesce(?, title), body = coalesce(?, body), "
                "claimed_by = NULL WHERE id = ?", [attempts, now_iso(), title, body, delivery_id])
        else:
            self.db.execute(
                "UPDATE deliveries SET attempts = attempts + ?, last_error = ?, status = ?, "
                "claimed_by = NULL WHERE id = ?", [attempts, error,
                                                   "abandoned" if give_up else "failed",
                                                   delivery_id])

    def changes_by_id(self, ids: list[int]) -> list[tuple[str, str, str | None, Change]]:
        """(source, page title, page url, change) for these change ids, in their order."""
        found = {meta["id"]: (c.source, meta["title"], meta["page_url"], c)
                 for meta, c in self.changes(ids=ids, alerts_only=False)}
        return [found[i] for i in ids if i in found]


class StoreThread:
    """One thread does the database work of many: concurrent checks call through `proxy()`.

    With a hundred check threads, each with its own connection and each taking the write lock
    for its small transaction, most time went to waiting for the GIL while holding the lock
    (and to a hundred connections parsing the schema). Here the calls run back to back on one
    connection; writes commit together in batches, each all-or-nothing (a savepoint), and a
    check hears back only once its write is committed.
    """

    WRITES = frozenset({"record", "set_next_run", "save_robots"})
    BATCH = 64

    def __init__(self, path: str | Path):
        self.store = Store(path)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="store", daemon=True)
        self.thread.start()

    def proxy(self) -> Any:
        """An object with the `Store` API whose calls run on this thread."""
        return _Proxy(self)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.submit(name, *args, **kwargs).result()

    def submit(self, name: str, *args: Any, **kwargs: Any) -> Future:
        """Queue a `Store` call without waiting for it."""
        future: Future = Future()
        self.jobs.put((name, args, kwargs, future))
        return future

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        self.store.close()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            batch = [job]
            while len(batch) < self.BATCH:
                try:
                    nxt = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.jobs.put(None)  # finish this batch, then stop
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list) -> None:
        outcomes = []
        try:
            with self.store.transaction():
                for name, args, kwargs, _ in batch:
                    outcomes.append(self._one(name, args, kwargs))
        except Exception as e:  # noqa: BLE001 - the commit itself failed: every job did
            outcomes = [(False, e)] * len(batch)
        for (_, _, _, future), (ok, value) in zip(batch, outcomes):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _one(self, name: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        write = name in self.WRITES
        if write:
            self.store.db.execute("SAVEPOINT job")
        try:
            value = getattr(self.store, name)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - handed to the check that asked
            if write:
                if not self.store.db.conn.in_transaction:
                    # SQLite undid the whole batch (a full disk): every job in it failed.
                    raise
                self.store.db.execute("ROLLBACK TO job")
                self.store.db.execute("RELEASE job")
                self.store._sources.clear()
            return False, e
        if write:
            self.store.db.execute("RELEASE job")
        return True, value


class _Proxy:
    def __init__(self, owner: StoreThread):
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return functools.partial(self._owner.call, name)


def _claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(claimant: str | None) -> bool:
    """Whether the process that claimed a delivery still runs (on another host: assume so)."""
    host, _, pid = (claimant or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return bool(claimant)
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_WRITE_LOCKS: dict[Path, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: Path) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(path.resolve(), threading.Lock())


@functools.cache
def _zstd() -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL)


def _decompress(encoding: str, data: bytes, base: bytes) -> bytes:
    if encoding == "gzip":  # schema 1
        return gzip.decompress(data)
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    if encoding == "zstd-delta":
        dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(data)
    raise StoreError(f"raw page stored with unknown encoding {encoding!r}")


def _change_row(c: Change, source_id: int, snapshot_id: int, previous_id: int | None, at: str,
                old_passages: dict[str, int], new_passages: dict[str, int]) -> dict[str, Any]:
    old_id, new_id = old_passages.get(c.old_text or ""), new_passages.get(c.new_text or "")
    return {
        "source_id": source_id, "snapshot_id": snapshot_id, "previous_snapshot_id": previous_id,
        "detected_at": at, "section": json.dumps(c.section, ensure_ascii=False),
        "section_path": " › ".join(c.section), "locator": c.locator, "kind": c.kind,
        "category": c.category,
        "old_text": None if old_id else c.old_text, "old_passage_id": old_id,
        "new_text": None if new_id else c.new_text, "new_passage_id": new_id,
        "diff": json.dumps(_compact(c.diff, c.old_text or "", c.new_text or ""), ensure_ascii=False),
        "figures": json.dumps(c.figures, ensure_ascii=False),
        "significance": c.significance, "alert": int(c.alert), "date": c.date,
    }


LONG_RUN = 60  # unchanged runs longer than this are stored as their length


def _compact(diff: list[list[str]], old: str, new: str) -> list[list]:
    """A word diff with long unchanged runs as lengths: the texts it spans are stored anyway."""
    if expand_diff(diff, old, new) != diff:  # only where the texts rebuild it exactly
        return diff
    return [[op, len(t)] if op == "=" and len(t) > LONG_RUN else [op, t] for op, t in diff]


def expand_diff(diff: list[list], old: str, new: str) -> list[list[str]]:
    """The inverse of `_compact`, reading unchanged runs back from the old text (a stored
    diff, as `change_feed.diff` shows it, made whole again)."""
    out, at_old, at_new = [], 0, 0
    for op, piece in diff:
        if isinstance(piece, int):
            piece = old[at_old:at_old + piece]
        if op != "+":
            if old[at_old:at_old + len(piece)] != piece:
                return diff  # not spanning the texts: leave as stored
            at_old += len(piece)
        if op != "-":
            if new[at_new:at_new + len(piece)] != piece:
                return diff
            at_new += len(piece)
        out.append([op, piece])
    return out if at_old == len(old) and at_new == len(new) else diff
