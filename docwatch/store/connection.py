"""The database file: opened, upgraded in place, written in transactions; the sources' rows."""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from .. import migrations, redact
from ..errors import DocwatchError
from ..times import now_iso
from ..models import Source


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


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


SOURCE_CACHE = 4096  # sources whose row id a connection remembers

_WRITE_LOCKS: dict[Path, threading.Lock] = {}


_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: Path) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(path.resolve(), threading.Lock())


class Database:
    """The calls the store makes on its SQLite connection, by sqlite-utils' names.

    sqlite-utils stays the analysts' tool; importing it in every `fetch` run (its plugin
    machinery, dateutil) took a tenth of a steady cycle's start.
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        # As sqlite-utils sets it: an INSERT OR REPLACE fires the replaced row's DELETE
        # triggers, so the full-text indexes drop it too.
        conn.execute("PRAGMA recursive_triggers = on")

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Iterator[dict]:
        """The rows as dictionaries."""
        cursor = self.conn.execute(sql, params)
        keys = [column[0] for column in cursor.description]
        return (dict(zip(keys, row)) for row in cursor)

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


class Connection:
    """One connection to a docwatch database, upgraded to this release's schema."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        # name -> (id, configured url) of the sources written lately: a run of 100,000
        # sources held them all (20 MB) for a saving that matters only to a source checked
        # again soon.
        self._sources: dict[str, tuple[int, str]] = {}
        # Passages written in this transaction, full-text indexed just before it commits:
        # FTS5 writes its pending terms out at every savepoint, and the store thread takes one
        # per check, so indexing each check's passages at once cost twice as much.
        self._unindexed: set[int] = set()
        if readonly:
            self._open_readonly()
            return
        try:
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                   check_same_thread=False)
            self.db = Database(conn)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL is still crash-safe for the application (a commit survives a
            # killed process); it skips an fsync per commit, which matters at 1,000 checks.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable docwatch database ({e})") from None

    @functools.cached_property
    def _writing(self) -> threading.Lock:
        """This process's lock on the database file, found once rather than by resolving
        the path at each of a run's hundreds of transactions."""
        return _write_lock(self.path)

    def _open_readonly(self) -> None:
        """For readers that must never write (a web view): no upgrade, no journal change."""
        try:
            conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True,
                                   check_same_thread=False)
            self.db = Database(conn)
            version = self.schema_version
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable docwatch database ({e})") from None
        if version != migrations.LATEST:
            self.db.close()
            raise StoreError(f"{self.path}: schema {version}, this docwatch reads {migrations.LATEST}; "
                             f"run `docwatch --db {self.path} sources` once to upgrade it")

    def __enter__(self) -> Self:
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
        with self._writing:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    if self.db.conn.in_transaction:  # SQLite rolls back itself on a full disk
                        self.db.rollback()
                    self._sources.clear()  # it may remember a source row that was rolled back
                    self._unindexed.clear()
                    raise
                self.index_passages()
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as e:
                raise self.write_error(e) from None

    def index_passages(self) -> None:
        """Add the passages written so far in this transaction to the full-text index (those
        a rolled-back check wrote are gone, and are skipped)."""
        if self._unindexed:
            ids, self._unindexed = sorted(self._unindexed), set()
            self.db.execute("INSERT INTO passages_fts (rowid, text) SELECT id, text FROM passages "
                            "WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(ids)])

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

    def source_id(self, source: Source) -> int:
        # Remembered with the URL as configured: a check asks twice, a run a thousand times,
        # and masking its secrets means parsing it each time.
        cached = self._sources.get(source.name)
        if cached and (not source.url or cached[1] == source.url):
            return cached[0]
        url = redact.source_url(source.url)  # a password or token in it stays in the config
        row = self.db.execute("SELECT id, url FROM sources WHERE name = ?", [source.name]).fetchone()
        if row:
            if url and row[1] != url:
                self.db.execute("UPDATE sources SET url = ? WHERE id = ?", [url, row[0]])
            sid = row[0]
        else:
            parent = self.source_id(Source(source.parent, "")) if source.parent else None
            sid = self._insert("sources", {"name": source.name, "url": url, "added_at": now_iso(),
                                           "parent_id": parent})
        if len(self._sources) >= SOURCE_CACHE:
            del self._sources[next(iter(self._sources))]  # the oldest: dicts keep their order
        self._sources[source.name] = (sid, source.url)
        return sid

    def has_source(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sources WHERE name = ?", [name]).fetchone() is not None

    def mark_made_by(self, command: str) -> None:
        """Note that `command` made this database (the demo may replace only its own)."""
        self.db.execute("INSERT OR REPLACE INTO made_by (command, at) VALUES (?, ?)",
                        [command, now_iso()])
