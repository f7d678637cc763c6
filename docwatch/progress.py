"""What `fetch --once` shows while it works: a progress bar on a terminal, a summary line at
the end (also after Ctrl-C), and the tally both are made of."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .models import CheckResult


class Tally:
    """A run's results as they come (from any thread), and its summary line."""

    def __init__(self, planned: int):
        self.planned = planned
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def add(self, result: CheckResult) -> None:
        with self._lock:
            self.counts[result.status] += 1

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    def summary(self, *, interrupted: bool = False) -> str:
        """"300 checked · 30 changed · 2 failed · 26.6 s" (and what a Ctrl-C left unchecked)."""
        c = self.counts
        parts = [f"{self.checked} checked" if not interrupted
                 else f"interrupted: {self.checked} of {self.planned} checked and recorded"]
        parts += [f"{c[k]} {word}" for k, word in (("new", "new"), ("changed", "changed"),
                                                    ("noise_only", "noise only")) if c[k]]
        parts.append(f"{c['error']} failed")
        parts.append(f"{time.monotonic() - self.started:.1f} s")
        return " · ".join(parts)

    def line(self) -> str:
        """The counts beside the bar."""
        c = self.counts
        return " · ".join([*([f"{c['new']} new"] if c["new"] else []),
                           f"{c['changed']} changed", f"{c['error']} failed"])


@contextmanager
def interruptible() -> Iterator[threading.Event]:
    """An event the first Ctrl-C sets (the run then stops starting checks); a second Ctrl-C
    stops at once."""
    stop = threading.Event()

    def first(signum: int, frame: Any) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, first)
    except ValueError:  # not the main thread (an embedding program): no handler of ours
        yield stop
        return
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def bar(tally: Tally, *, enabled: bool) -> Iterator[Any]:
    """A rich progress bar fed by `tally` (when `enabled`: on a terminal); yields the call
    that records a result."""
    if not enabled:
        yield tally.add
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                        console=Console(file=sys.stdout), transient=True)
    task = progress.add_task("checking", total=tally.planned, counts=tally.line())

    def add(result: CheckResult) -> None:
        tally.add(result)
        progress.update(task, completed=tally.checked, counts=tally.line())

    with progress:
        yield add
