"""Schemas 1 and 2: the pipeline's tables, then its history stored as passages (each
stored once per page) and sections (lists of passage ids), with the views and FTS5 indexes
analysts query."""

from __future__ import annotations

import json
import sqlite3

from .hashes import passage_hash, section_hash

# --- 1: the pipeline's schema (issue 2) -------------------------------------------------
V1 = """
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
    result TEXT NOT NULL,           -- new | changed | noise_only | unchanged | not_modified | error
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

# --- 2: passages stored once, sections as lists of them, delta-compressed raw HTML,
#        validators on the source, FTS5, analyst views ----------------------------------
V2_BEFORE = """
DROP VIEW IF EXISTS current_sections;
DROP VIEW IF EXISTS change_feed;
DROP VIEW IF EXISTS section_history;
DROP INDEX IF EXISTS sections_current;
ALTER TABLE sources ADD COLUMN etag TEXT;           -- validators of the last full response
ALTER TABLE sources ADD COLUMN last_modified TEXT;
ALTER TABLE sources ADD COLUMN next_run TEXT;       -- when `docwatch run` will check it next
ALTER TABLE blobs ADD COLUMN base TEXT REFERENCES blobs(hash);  -- zstd dictionary, if a delta
ALTER TABLE blobs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;  -- length of the delta chain
ALTER TABLE snapshots ADD COLUMN layout TEXT NOT NULL DEFAULT '[]';  -- JSON section ids, in order
ALTER TABLE snapshots ADD COLUMN parsed_with TEXT;  -- parser fingerprint that made the sections
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    hash TEXT NOT NULL,
    kind TEXT NOT NULL,             -- paragraph | item | row | entry | link
    date TEXT,                      -- entries: the date as written
    text TEXT NOT NULL,
    links TEXT,                     -- JSON list of URLs, NULL when none
    UNIQUE (source_id, hash)
);
-- The outbox renders at send time from the changes it reports; digests collect them.
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'changes';  -- changes | digest | status
ALTER TABLE deliveries ADD COLUMN change_ids TEXT;  -- JSON ids of the changes reported
ALTER TABLE deliveries ADD COLUMN due_at TEXT;      -- not before (a digest: its window's end)
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;  -- "host:pid" sending it right now
-- A change's old or new text that is a stored passage is referenced, not copied.
ALTER TABLE changes ADD COLUMN old_passage_id INTEGER REFERENCES passages(id);
ALTER TABLE changes ADD COLUMN new_passage_id INTEGER REFERENCES passages(id);
ALTER TABLE sections RENAME TO sections_v1;
CREATE TABLE sections (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    path TEXT NOT NULL,             -- JSON list of headings, outermost first
    heading TEXT NOT NULL,
    passages TEXT NOT NULL,         -- JSON list of passage ids, in order
    hash TEXT NOT NULL,
    valid_from INTEGER NOT NULL REFERENCES snapshots(id),
    valid_to INTEGER REFERENCES snapshots(id)   -- NULL while current
);
"""

#: The analysts' view of changes as schema 2 made it (schema 4 adds `date`).
_CHANGE_FEED_V2 = """
CREATE VIEW change_feed AS
    SELECT changes.id, sources.name AS source, sources.url, changes.section, changes.section_path,
           changes.locator, changes.kind, changes.category,
           coalesce(changes.old_text, old.text) AS old_text,
           coalesce(changes.new_text, new.text) AS new_text,
           changes.diff, changes.figures, changes.significance, changes.alert, changes.detected_at,
           changes.snapshot_id
    FROM changes JOIN sources ON sources.id = changes.source_id
    LEFT JOIN passages old ON old.id = changes.old_passage_id
    LEFT JOIN passages new ON new.id = changes.new_passage_id;
"""

V2_AFTER = """
DROP TABLE sections_v1;
CREATE INDEX sections_current ON sections(source_id, valid_to);
CREATE INDEX fetches_errors ON fetches(started_at) WHERE result = 'error';  -- failed checks, by time
CREATE VIEW section_texts AS
    SELECT sections.id, coalesce((
        SELECT group_concat(t, char(10)) FROM (
            SELECT CASE WHEN passages.date IS NULL THEN passages.text
                        ELSE trim(passages.date || ' ' || passages.text) END AS t
            FROM json_each(sections.passages) AS j JOIN passages ON passages.id = j.value
            ORDER BY j.key)), '') AS text
    FROM sections;
CREATE VIEW snapshot_sections AS
    SELECT snapshots.id AS snapshot_id, sources.name AS source, snapshots.taken_at,
           j.key AS position, sections.path, sections.heading, section_texts.text,
           first.taken_at AS since, sections.id AS section_id
    FROM snapshots
    JOIN sources ON sources.id = snapshots.source_id
    JOIN json_each(snapshots.layout) AS j
    JOIN sections ON sections.id = j.value
    JOIN section_texts ON section_texts.id = sections.id
    JOIN snapshots first ON first.id = sections.valid_from;
CREATE VIEW current_sections AS
    SELECT source, path, heading, position, text, since
    FROM snapshot_sections
    WHERE snapshot_id IN (SELECT max(id) FROM snapshots GROUP BY source_id);
CREATE VIEW section_history AS
    SELECT sources.name AS source, sections.path, sections.heading, section_texts.text,
           first.taken_at AS valid_from, last.taken_at AS valid_to, sections.id AS section_id
    FROM sections
    JOIN sources ON sources.id = sections.source_id
    JOIN section_texts ON section_texts.id = sections.id
    JOIN snapshots first ON first.id = sections.valid_from
    LEFT JOIN snapshots last ON last.id = sections.valid_to;
""" + _CHANGE_FEED_V2 + """CREATE VIEW check_log AS
    SELECT fetches.id, sources.name AS source, fetches.started_at, fetches.result,
           fetches.error_kind, fetches.error, fetches.http_status, fetches.duration_ms,
           fetches.changes, fetches.snapshot_id
    FROM fetches JOIN sources ON sources.id = fetches.source_id;
CREATE VIEW passage_history AS
    SELECT passages.id, sources.name AS source, passages.kind, passages.date, passages.text,
           min(first.taken_at) AS first_seen,
           CASE WHEN count(*) > count(sections.valid_to) THEN NULL
                ELSE max(last.taken_at) END AS gone_at
    FROM passages
    JOIN sources ON sources.id = passages.source_id
    JOIN sections ON sections.source_id = passages.source_id
    JOIN json_each(sections.passages) AS j ON j.value = passages.id
    JOIN snapshots first ON first.id = sections.valid_from
    LEFT JOIN snapshots last ON last.id = sections.valid_to
    GROUP BY passages.id;
"""

#: FTS5 indexes, kept current by triggers, named as sqlite-utils' `enable_fts` names them so
#: `sqlite-utils search` and Datasette find them. Written out here because `enable_fts` commits
#: (a migration is one transaction) and because a change's text may live in `passages`.
_TEXT_OF = "coalesce({row}.{col}_text, (SELECT text FROM passages WHERE id = {row}.{col}_passage_id))"


def _values(row: str, columns: list[str]) -> str:
    return ", ".join(
        _TEXT_OF.format(row=row, col=c[:3]) if c in ("old_text", "new_text") else f"{row}.[{c}]"
        for c in columns
    )


def fts_sql(table: str, columns: list[str], content: str) -> str:
    cols = ", ".join(f"[{c}]" for c in columns)
    fts = f"[{table}_fts]"
    old, new = _values("old", columns), _values("new", columns)
    return f"""
CREATE VIRTUAL TABLE {fts} USING FTS5 ({cols}, tokenize='unicode61 remove_diacritics 2', content=[{content}], content_rowid=[id]);
INSERT INTO {fts} (rowid, {cols}) SELECT id, {cols} FROM [{content}];
CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] BEGIN
  INSERT INTO {fts} (rowid, {cols}) VALUES (new.id, {new});
END;
CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] BEGIN
  INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
END;
CREATE TRIGGER [{table}_au] AFTER UPDATE ON [{table}] BEGIN
  INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
  INSERT INTO {fts} (rowid, {cols}) VALUES (new.id, {new});
END;
"""


FTS = (  # (table, columns, where the text is read from)
    ("passages", ["text"], "passages"),
    ("changes", ["section_path", "old_text", "new_text"], "change_feed"),
)


def _v2_data(conn: sqlite3.Connection) -> None:
    """v1 section rows (text + blocks JSON) into passages and passage-id sections, ids kept."""
    passage_ids: dict[tuple[int, str], int] = {}
    for sid, source_id, path, heading, blocks, valid_from, valid_to in conn.execute(
        "SELECT id, source_id, path, heading, blocks, valid_from, valid_to FROM sections_v1 ORDER BY id"
    ).fetchall():
        ids = []
        for b in json.loads(blocks):
            links = list(b.get("links", []))
            digest = passage_hash(b["kind"], b.get("date"), b["text"], links)
            if (source_id, digest) not in passage_ids:
                passage_ids[(source_id, digest)] = conn.execute(
                    "INSERT INTO passages (source_id, hash, kind, date, text, links) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [source_id, digest, b["kind"], b.get("date"), b["text"],
                     json.dumps(links, ensure_ascii=False) if links else None],
                ).lastrowid
            ids.append(passage_ids[(source_id, digest)])
        conn.execute(
            "INSERT INTO sections (id, source_id, path, heading, passages, hash, valid_from, valid_to) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [sid, source_id, path, heading, json.dumps(ids), section_hash(path, ids), valid_from,
             valid_to],
        )
    for snap_id, source_id in conn.execute("SELECT id, source_id FROM snapshots").fetchall():
        layout = [r[0] for r in conn.execute(
            "SELECT id FROM sections_v1 WHERE source_id = ? AND valid_from <= ? "
            "AND (valid_to IS NULL OR valid_to > ?) ORDER BY position", [source_id, snap_id, snap_id])]
        conn.execute("UPDATE snapshots SET layout = ? WHERE id = ?", [json.dumps(layout), snap_id])
    conn.execute(
        """UPDATE sources SET (etag, last_modified) = (
               SELECT etag, last_modified FROM fetches WHERE fetches.source_id = sources.id
               AND (etag IS NOT NULL OR last_modified IS NOT NULL) ORDER BY id DESC LIMIT 1)"""
    )
