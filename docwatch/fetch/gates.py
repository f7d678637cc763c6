"""Politeness to one host: at most `per_host` requests at once, `min_delay` apart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class _Host:
    """At most `limit` requests at once to one host, started at least `min_delay` apart."""

    def __init__(self, limit: int, min_delay: float):
        self.slots = threading.Semaphore(max(limit, 1))
        self.min_delay = min_delay
        self.lock = threading.Lock()
        self.next_start = 0.0

    @contextmanager
    def slot(self, stopping: threading.Event) -> Iterator[None]:
        with self.slots:
            if self.min_delay:
                with self.lock:
                    now = time.monotonic()
                    start = max(now, self.next_start)
                    self.next_start = start + self.min_delay
                if start > now:
                    stopping.wait(start - now)
            yield
