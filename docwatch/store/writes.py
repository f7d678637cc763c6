"""History writes: a check's observation recorded whole, a source's history rebuilt by
`reparse`, and the small state a run keeps (next runs, robots.txt)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .. import migrations
from ..times import to_iso
from ..models import Block, Change, Document, Fetched, Message, Observation, Outgoing, Source
from .codec import compact
from .connection import StaleObservation, body_hash


class Writes:
    """What a check and `reparse` write."""

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
        elif obs.result in ("unchanged", "not_modified", "noise_only") and obs.previous_id:
            # One small row: the page is still the stored snapshot (URL and hash live there).
            # Bytes that differ from it by noise alone are no version: their hash is state,
            # so the same bytes next time are "unchanged" without a parse.
            self._validators(sid, obs.fetched)
            if obs.result == "noise_only":
                self.db.execute("UPDATE sources SET seen_hash = ? WHERE id = ?",
                                [body_hash(obs.fetched.body), sid])
            self._fetch_row(obs, http_status=obs.fetched.status_code, snapshot_id=snapshot_id)
        else:
            snapshot_id = self._record_version(sid, obs)
        for message in obs.messages:
            self._queue_message(sid, message, obs.started_at)
        for event in obs.events:
            self._insert("events", {"source_id": sid, "at": obs.started_at,
                                    "event": event.event, "detail": event.detail})
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
        self.db.execute("UPDATE sources SET seen_hash = NULL WHERE id = ?", [source_id])
        ids = self._write_changes(source_id, snapshot_id, obs.previous_id, obs.started_at, doc,
                                  obs.changes)
        for out in obs.outgoing:
            self._queue(source_id, snapshot_id, out, [ids[i] for i in out.indexes],
                        obs.started_at)
        return snapshot_id

    def _fetch_row(self, obs: Observation, **fields: Any) -> int:
        row = {"source_id": self.source_id(obs.source), "started_at": obs.started_at,
               "duration_ms": obs.duration_ms, "result": obs.result, "changes": 0,
               # a check that read the page may still say what it could not reach
               "error_kind": obs.error_kind, "error": obs.error}
        row.update(fields)
        return self._insert("fetches", row)

    def _write_changes(self, source_id: int, snapshot_id: int, previous_id: int | None, at: str,
                       doc: Document, changes: list[Change]) -> list[int]:
        """The version's sections, then its changes (whose texts point at stored passages)."""
        # The version before this one is the one whose sections are still current. A source's
        # first version has none, nor any passages: three queries fewer for each new page.
        current = [] if previous_id is None else self.db.execute(
            """SELECT passages.id, passages.kind, passages.text, passages.date, passages.links,
                      passages.key
               FROM sections, json_each(sections.passages) p
               JOIN passages ON passages.id = p.value
               WHERE sections.source_id = ? AND sections.valid_to IS NULL""", [source_id]).fetchall()
        old = {text: pid for pid, _, text, _, _, _ in current}
        known = {Block(kind, text, date, tuple(json.loads(links)) if links else (), key): pid
                 for pid, kind, text, date, links, key in current}
        new = self._write_sections(source_id, snapshot_id, doc, known, first=previous_id is None)
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
        for channel, shown in message.channels:
            self._insert("deliveries", {
                "source_id": source_id, "channel": channel, "shown_as": shown or None,
                "kind": message.kind, "title": message.title, "body": message.body,
                "status": "pending", "attempts": 0, "created_at": at, "due_at": at})

    def _write_sections(self, source_id: int, snapshot_id: int, doc: Document,
                        known: dict[Block, int], *, first: bool = False) -> dict[str, int]:
        """The version's section rows and layout; `known` maps passages to ids (and grows).
        `first`: the source's first version, with no sections or passages stored before."""
        current = {} if first else dict(self.db.execute(
            "SELECT hash, id FROM sections WHERE source_id = ? AND valid_to IS NULL", [source_id]
        ).fetchall())
        kept: dict[str, int] = {}
        layout = []
        texts: dict[str, int] = {}
        self._passages(source_id, doc, known, first=first)
        for section in doc.sections:
            ids = [known[b] for b in section.blocks]
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

    def _passages(self, source_id: int, doc: Document, known: dict[Block, int], *,
                  first: bool = False) -> None:
        """Put the id of every passage of `doc` in `known`: the previous version's are there
        already, those stored earlier come from one query, new ones go in as one batch (a first
        snapshot is all new passages: a query and an insert each cost a thousand pages 1 s)."""
        wanted: dict[Block, str] = {}
        for section in doc.sections:
            for b in section.blocks:
                if b not in known and b not in wanted:
                    wanted[b] = migrations.passage_hash(b.kind, b.date, b.text, b.links, b.key)
        if not wanted:
            return
        ids = {} if first else dict(self.db.execute(
            "SELECT hash, id FROM passages WHERE source_id = ? AND hash IN "
            "(SELECT value FROM json_each(?))", [source_id, json.dumps(list(wanted.values()))]))
        rows = []
        next_id = None
        for b, digest in wanted.items():
            if digest not in ids:
                if next_id is None:  # ids of our own: the write lock is ours until commit
                    next_id = self.db.execute(
                        "SELECT coalesce(max(id), 0) + 1 FROM passages").fetchone()[0]
                ids[digest], next_id = next_id, next_id + 1
                rows.append((ids[digest], source_id, digest, b.kind, b.date, b.text,
                             json.dumps(list(b.links), ensure_ascii=False) if b.links else None,
                             b.key))
            known[b] = ids[digest]
        if not rows:
            return
        self.db.conn.executemany(
            "INSERT INTO passages (id, source_id, hash, kind, date, text, links, key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        # Full-text indexed when the transaction commits, all its checks' passages at once
        # (schema 8 dropped the per-row trigger: a fifth of a first snapshot's write time).
        self._unindexed.update(row[0] for row in rows)

    def rewrite_history(self, source: Source,
                        versions: list[tuple[int, Document, list[Change], str]]) -> None:
        """Replace a source's sections, passages and changes with `versions` (one transaction).

        `versions` is every snapshot of the source, oldest first: (snapshot id, its document,
        the changes from the version before, parser fingerprint). Fetch log, raw HTML and the
        outbox stay as they are.
        """
        with self.transaction():
            sid = self.source_id(source)
            self.index_passages()  # the index may drop only what it holds
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
                    "WHEN ? THEN 'changed' ELSE 'noise_only' END "
                    "WHERE id = (SELECT fetch_id FROM snapshots WHERE id = ?)",
                    [len(changes), bool(changes), snapshot_id])
                previous = snapshot_id

    def set_next_run(self, schedule: list[tuple[Source, str | None]]) -> None:
        """Record when `docwatch run` will next check each source (state, updated in place)."""
        with self.transaction():
            for source, at in schedule:
                self.db.execute("UPDATE sources SET next_run = ? WHERE id = ?",
                                [at, self.source_id(source)])

    def save_robots(self, read: dict[str, tuple[float, str | None]]) -> None:
        """Keep robots.txt files just read, for the next run (state, replaced in place)."""
        if not read:
            return
        with self.transaction():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO robots (site, read_at, body) VALUES (?, ?, ?)",
                [(site, to_iso(datetime.fromtimestamp(at, timezone.utc)), body)
                 for site, (at, body) in read.items()])


def _change_row(c: Change, source_id: int, snapshot_id: int, previous_id: int | None, at: str,
                old_passages: dict[str, int], new_passages: dict[str, int]) -> dict[str, Any]:
    old_id, new_id = old_passages.get(c.old_text or ""), new_passages.get(c.new_text or "")
    return {
        "source_id": source_id, "snapshot_id": snapshot_id, "previous_snapshot_id": previous_id,
        "detected_at": at, "section": json.dumps(c.section, ensure_ascii=False),
        "section_path": " › ".join(c.section), "locator": c.locator, "kind": c.kind,
        "category": c.category,
        "old_text_inline": None if old_id else c.old_text, "old_passage_id": old_id,
        "new_text_inline": None if new_id else c.new_text, "new_passage_id": new_id,
        "diff": json.dumps(compact(c.diff, c.old_text or "", c.new_text or ""), ensure_ascii=False),
        "figures": json.dumps(c.figures, ensure_ascii=False),
        "significance": c.significance, "alert": int(c.alert), "date": c.date,
    }

