"""The checks `docwatch run` owes: sources fallen due, taken by its check threads.

A source falls due on its schedule; the threads take due sources a site at a time in turn, so a
hundred due pages of one site never hold every thread while another site's pages wait (the
fetcher lets `per_host` of them through at once; the rest would only queue there). A source is
never checked twice at once and waits at most once: when it falls due while it is waiting or
being checked, that time is merged into the check it already has, and counted.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable


class Due:
    """Sources due for a check, in the order they fell due within each site."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._sites: dict[str, deque[str]] = {}  # site -> its due sources, oldest first
        self._turn: deque[str] = deque()  # the sites with due sources, in turn
        self._waiting: set[str] = set()
        self.running: set[str] = set()
        self.merged = 0  # times a source fell due while it was waiting or running
        self._closed = False

    def put_many(self, due: Iterable[tuple[str, str]]) -> int:
        """(source, its site) pairs fallen due; how many will be checked (the others already
        wait or run: that check will do)."""
        added = 0
        with self._lock:
            if self._closed:
                return 0
            for name, site in due:
                if name in self._waiting or name in self.running:
                    self.merged += 1
                    continue
                self._waiting.add(name)
                if site not in self._sites:
                    self._sites[site] = deque()
                    self._turn.append(site)
                self._sites[site].append(name)
                added += 1
            self._lock.notify(added)
        return added

    def take(self) -> str | None:
        """The next due source, now running (block until there is one); None once closed."""
        with self._lock:
            while not self._turn and not self._closed:
                self._lock.wait()
            if self._closed:
                return None
            site = self._turn.popleft()
            queue = self._sites[site]
            name = queue.popleft()
            if queue:
                self._turn.append(site)
            else:
                del self._sites[site]
            self._waiting.discard(name)
            self.running.add(name)
            return name

    def done(self, name: str) -> None:
        with self._lock:
            self.running.discard(name)
            self._lock.notify_all()

    def drop(self, names: set[str]) -> None:
        """Forget waiting checks of `names` (sources removed from the config)."""
        with self._lock:
            for site in list(self._sites):
                kept = deque(n for n in self._sites[site] if n not in names)
                if kept:
                    self._sites[site] = kept
                else:
                    del self._sites[site]
                    self._turn.remove(site)
            self._waiting -= names

    def close(self) -> None:
        """No check starts from now on: the waiting ones are dropped, takers are released."""
        with self._lock:
            self._closed = True
            self._sites.clear()
            self._turn.clear()
            self._waiting.clear()
            self._lock.notify_all()

    def settle(self, until: float) -> list[str]:
        """Wait until no check runs or `until` (time.monotonic()) passes; the ones still
        running."""
        with self._lock:
            while self.running and time.monotonic() < until:
                self._lock.wait(until - time.monotonic())
            return sorted(self.running)

    def counts(self) -> tuple[list[str], int, int]:
        """(running, how many wait, merged since last asked)."""
        with self._lock:
            merged, self.merged = self.merged, 0
            return sorted(self.running), len(self._waiting), merged
