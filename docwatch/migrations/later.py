"""Schemas 3 to 12, each with why it was made."""

from __future__ import annotations

import sqlite3

from .first import _CHANGE_FEED_V2

#: robots.txt as last read per site (state, not history): `fetch --once` under cron reads a
#: site's rules once a day, as `docwatch run` does, not once per run.
V3 = """
CREATE TABLE robots (
    site TEXT PRIMARY KEY,    -- scheme://host[:port]
    read_at TEXT NOT NULL,    -- UTC
    body TEXT                 -- the file; NULL: the site has none (every page allowed)
);
"""

#: An entry's date in ISO form ("2023-07-11", "2023-07-11/2023-07-12") beside the date as
#: the page wrote it (the last part of `section`): for sorting and date queries.
V4 = """
ALTER TABLE changes ADD COLUMN date TEXT;
CREATE INDEX changes_date ON changes(date) WHERE date IS NOT NULL;
DROP VIEW change_feed;
""" + _CHANGE_FEED_V2.replace(
    "changes.snapshot_id\n", "changes.snapshot_id, changes.date\n")

#: A check's result in the words the analyst saw: a new version whose changes were all noise
#: (counters, dates, markup) is `noise_only`, not `changed`. `made_by` marks a database made
#: by `docwatch demo`, the only kind the demo may replace.
V5 = """
UPDATE fetches SET result = 'noise_only' WHERE result = 'changed' AND changes = 0;
CREATE TABLE made_by (
    command TEXT PRIMARY KEY,  -- 'demo'
    at TEXT NOT NULL           -- UTC
);
"""

#: Secrets out of the shared history: a channel was stored as its Apprise URL, password and
#: token included. It is now stored by a secret-free identity (`[[notify]] name`, or its
#: privacy form and a hash), the URL read from the config when sending; `shown_as` is the
#: privacy form for people.
V6 = """
ALTER TABLE deliveries ADD COLUMN shown_as TEXT;
"""


def _v6_data(conn: sqlite3.Connection) -> None:
    urls = [r[0] for r in conn.execute("SELECT DISTINCT channel FROM deliveries "
                                       "WHERE channel LIKE '%://%'")]
    if not urls:
        return
    from ..redact import channel_display, channel_identity, scrub

    for url in urls:
        for row_id, error in conn.execute("SELECT id, last_error FROM deliveries WHERE channel = ?",
                                          [url]).fetchall():
            conn.execute("UPDATE deliveries SET channel = ?, shown_as = ?, last_error = ? "
                         "WHERE id = ?", [channel_identity(url), channel_display(url),
                                          error and scrub(error, url), row_id])

#: Documents a page links to are sources of their own, with their page as parent.
V7 = """
ALTER TABLE sources ADD COLUMN parent_id INTEGER;  -- sources.id of the page linking to it
"""

#: New passages are indexed for full-text search by the store, one statement per version,
#: instead of by a trigger per row (deletes and updates keep their triggers).
V8 = """
DROP TRIGGER IF EXISTS passages_ai;
"""


#: Records (rows and items with an identifier of their own) are matched by their key.
V9 = """
ALTER TABLE passages ADD COLUMN key TEXT;  -- records: the identifier ("118-3"), else NULL
"""


#: Status events (the page failing, gone, its content not readable, back) as history, so they
#: reach analysts where changes do: `changes --status`, the feed, Datasette.
V10 = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    at TEXT NOT NULL,               -- the check's time (UTC)
    event TEXT NOT NULL,            -- failing | recovered | removed | content_unreadable | content_back
    detail TEXT NOT NULL
);
CREATE INDEX events_source ON events(source_id, at);
CREATE VIEW status_feed AS
    SELECT events.id, sources.name AS source, sources.url, events.event, events.detail, events.at
    FROM events JOIN sources ON sources.id = events.source_id;
"""


#: A check whose only differences from the stored version are noise (counters, tokens, a
#: dialog) stores no version: history grows with changes. The hash of the bytes it read is
#: kept as state, so the same bytes again are "unchanged" without a parse.
V11 = """
ALTER TABLE sources ADD COLUMN seen_hash TEXT;  -- the body last read as the stored version
"""


#: `changes` says what its text columns hold: a change's old and new text are the stored
#: passages it names (`old_passage_id`, `new_passage_id`) and are kept in the row only when they
#: are none (a heading, a page's whole text). `old_text`/`new_text` read NULL on nearly every
#: row, and a query of them said nothing was there: they are `old_text_inline` and
#: `new_text_inline`, and the texts are read from `change_feed` (SQLite renames the views' and
#: triggers' uses too).
V12 = """
ALTER TABLE changes RENAME COLUMN old_text TO old_text_inline;
ALTER TABLE changes RENAME COLUMN new_text TO new_text_inline;
"""
