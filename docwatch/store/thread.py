"""One thread doing the database work of many threads: calls run back to back on one
connection, writes committed together in batches."""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any


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
        self.busy = 0.0  # seconds spent on database work, for `fetch --timings`
        from . import Store  # the whole class, defined by the package

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
        started = time.monotonic()
        outcomes = []
        # Reads alone take no write transaction: BEGIN IMMEDIATE takes the database's write
        # lock, and a worker's reads holding it made the writer of another process wait in
        # SQLite's busy handler, whose sleeps (up to 100 ms each) stalled whole cycles.
        writes = any(name in self.WRITES for name, _, _, _ in batch)
        try:
            with self.store.transaction() if writes else contextlib.nullcontext():
                for name, args, kwargs, _ in batch:
                    outcomes.append(self._one(name, args, kwargs))
        except Exception as e:  # noqa: BLE001 - the commit itself failed: every job did
            outcomes = [(False, e)] * len(batch)
        self.busy += time.monotonic() - started
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

