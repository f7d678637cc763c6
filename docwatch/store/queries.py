"""Reads: the documents, changes, versions and status the CLI, the notifier and a check ask for."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..times import from_iso
from ..matching import Terms
from ..models import Block, Change, Document, Previous, Section, SourceState
from .codec import expand_diff
from .connection import StoreError


class Queries:
    """What the commands and a check read."""

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
                       sources.last_modified, snap.parsed_with, sources.seen_hash,
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
        return {name: SourceState(Previous(sid, digest, etag, modified, parsed_with, seen)
                                  if sid is not None else None,
                                  failures, last_kind if failures else None)
                for name, sid, digest, etag, modified, parsed_with, seen, failures, last_kind
                in rows}

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
        blocks = {r[0]: Block(r[1], r[2], r[3], _links(r[4]), r[5])
                  for r in self.db.execute(
                      f"SELECT id, kind, text, date, links, key FROM passages WHERE id IN ({marks})",
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
                until: str | None = None, before: int | None = None,
                match: Terms | None = None,
                ) -> list[tuple[dict[str, Any], Change]]:
        """Recorded changes, newest first, each with its source, url and time.

        `since` and `until` bound the detection time (ISO, `until` exclusive), `before` a
        change id to page back from, `match` terms one of which a change mentions (as
        `[[notify]] match` reads them).
        """
        where, args = ["1 = 1"], []
        if ids is not None:
            where.append(f"changes.id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        for clause, value in (("changes.snapshot_id = ?", snapshot_id),
                              ("sources.name = ?", source),
                              ("changes.detected_at >= ?", since),
                              ("changes.detected_at < ?", until),
                              ("changes.id < ?", before),
                              ("changes.category = ?", category)):
            if value not in (None, ""):
                where.append(clause)
                args.append(value)
        if alerts_only:
            where.append("changes.alert = 1")
        sql = f"""SELECT changes.*, sources.name AS source_name, sources.url AS source_url,
                         coalesce(changes.old_text_inline, old.text) AS old,
                         coalesce(changes.new_text_inline, new.text) AS new,
                         snap.title AS page_title, coalesce(snap.url, sources.url) AS page_url
                  FROM changes JOIN sources ON sources.id = changes.source_id
                  JOIN snapshots snap ON snap.id = changes.snapshot_id
                  LEFT JOIN passages old ON old.id = changes.old_passage_id
                  LEFT JOIN passages new ON new.id = changes.new_passage_id
                  WHERE {' AND '.join(where)}
                  ORDER BY changes.id {'ASC' if oldest_first else 'DESC'}"""
        if limit and not match:
            sql += f" LIMIT {int(limit)}"
        out = []
        for row in self.db.query(sql, args):  # rows as they come: a match stops at `limit`
            section = json.loads(row["section"])
            if match and not match.mentions(row["old"], row["new"], section):
                continue
            if limit and len(out) >= limit:
                break
            change = Change(
                section=section, kind=row["kind"], category=row["category"],
                old_text=row["old"], new_text=row["new"],
                diff=expand_diff(json.loads(row["diff"]), row["old"] or "", row["new"] or ""),
                figures=json.loads(row["figures"]), significance=row["significance"],
                alert=bool(row["alert"]), source=row["source_name"], locator=row["locator"],
                date=row["date"],
            )
            out.append(({"id": row["id"], "url": row["source_url"],
                         "detected_at": row["detected_at"], "snapshot_id": row["snapshot_id"],
                         "previous_snapshot_id": row["previous_snapshot_id"],
                         "title": row["page_title"], "page_url": row["page_url"]}, change))
        return out

    def events(self, *, source: str | None = None, since: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded status events, newest first: id, source, url, event, detail, at."""
        where, args = ["1 = 1"], []
        for clause, value in (("source = ?", source), ("at >= ?", since)):
            if value not in (None, ""):
                where.append(clause)
                args.append(value)
        sql = f"SELECT * FROM status_feed WHERE {' AND '.join(where)} ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return list(self.db.query(sql, args))

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
        found = next(self.db.query(
            """SELECT snapshots.id, taken_at, coalesce(snapshots.url, sources.url) AS url, title,
                      metadata, content_type, sources.name AS source
               FROM snapshots JOIN sources ON sources.id = snapshots.source_id
               WHERE snapshots.id = ?""", [snapshot_id]), None)
        if found is None:
            raise StoreError(f"no snapshot {snapshot_id}")
        return found

    def neighbours(self, table: str, row_id: int) -> tuple[int | None, int | None]:
        """The ids before and after `row_id` of the same source in `changes` (those that
        alert) or `snapshots`."""
        alerting = " AND alert = 1" if table == "changes" else ""
        same = f"source_id = (SELECT source_id FROM {table} WHERE id = :id){alerting}"
        before, after = self.db.execute(
            f"SELECT (SELECT max(id) FROM {table} WHERE id < :id AND {same}), "
            f"(SELECT min(id) FROM {table} WHERE id > :id AND {same})", {"id": row_id}).fetchone()
        return before, after

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
        return [i for i, _ in self.versions_of(source)]

    def versions_of(self, source: str, *, last: int | None = None) -> list[tuple[int, str]]:
        """The source's versions (id, taken at), oldest first: all, or the `last` few."""
        rows = self.db.execute(
            """SELECT snapshots.id, snapshots.taken_at FROM snapshots
               JOIN sources ON sources.id = snapshots.source_id
               WHERE sources.name = ? ORDER BY snapshots.id DESC LIMIT ?""",
            [source, -1 if last is None else last]).fetchall()
        return rows[::-1]

    def source_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM sources ORDER BY name")]

    def changes_at(self, snapshot_id: int) -> list[Change]:
        return [c for _, c in self.changes(snapshot_id=snapshot_id, alerts_only=False,
                                           oldest_first=True)]

    def status(self) -> dict[str, dict[str, Any]]:
        """Per source: last check, its result and error, failures in a row, changes, versions."""
        rows = self.db.query(
            """SELECT sources.name, sources.url, sources.next_run,
                      last.started_at AS last_check, last.result, last.error_kind, last.error,
                      (SELECT count(*) FROM changes WHERE changes.source_id = sources.id
                         AND changes.alert = 1) AS changes,
                      (SELECT count(*) FROM snapshots WHERE snapshots.source_id = sources.id)
                         AS versions,
                      (SELECT p.name FROM sources p WHERE p.id = sources.parent_id) AS parent
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

    def robots(self) -> dict[str, tuple[float, str | None]]:
        """robots.txt files read by earlier runs: site -> (when, in epoch seconds; the file,
        or None when the site has none)."""
        return {site: (from_iso(read_at).timestamp(), body) for site, read_at, body in self.db.execute(
            "SELECT site, read_at, body FROM robots")}

    def count(self, table: str, **where: Any) -> int:
        sql = f"SELECT count(*) FROM [{table}]"
        if where:
            sql += " WHERE " + " AND ".join(f"[{k}] = ?" for k in where)
        return self.db.execute(sql, list(where.values())).fetchone()[0]

    def changes_by_id(self, ids: list[int]) -> list[tuple[int, tuple[str, str, str | None, Change]]]:
        """(id, (source, page title, page url, change)) for these change ids still stored,
        in their order."""
        found = {meta["id"]: (c.source, meta["title"], meta["page_url"], c)
                 for meta, c in self.changes(ids=ids, alerts_only=False)}
        return [(i, found[i]) for i in ids if i in found]


def _links(stored: str | None) -> tuple:
    """A passage's links as stored (most passages have none: no JSON to decode)."""
    return tuple(json.loads(stored)) if stored and stored != "[]" else ()
