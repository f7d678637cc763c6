"""The parse-and-diff thread of each process, and how many pages seen for the first time
are checked at once."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

# Parsing and diffing happen on one thread of each process. The GIL ran one parse at a time
# anyway; a hundred fetch threads each parsing held a hundred page trees at once, and each
# thread that ever parses keeps libxml2 state of its own (30 MB a worker over a first cycle).
_thinker: ThreadPoolExecutor | None = None
_thinker_lock = threading.Lock()


def _thinking() -> ThreadPoolExecutor:
    """This process's parse-and-diff thread."""
    global _thinker
    with _thinker_lock:
        if _thinker is None:
            _thinker = ThreadPoolExecutor(1, thread_name_prefix="parse")
        return _thinker


# Pages seen for the first time (every one of them parsed) being checked at once, at most, in
# each process: past that they only wait for the one parse thread, each holding its page, while
# the other check threads' pages are known ones that mostly come back 304 (a first cycle's
# peak memory: 9 MB less, its time the same).
NEW_PAGES_AT_ONCE = 32
_new_pages = threading.BoundedSemaphore(NEW_PAGES_AT_ONCE)


def new_pages() -> threading.BoundedSemaphore:
    """This process's slots for pages seen for the first time (made anew in a forked worker)."""
    return _new_pages


def _after_fork() -> None:  # a forked worker has none of its parent's threads
    global _thinker, _thinker_lock, _new_pages
    _thinker, _thinker_lock = None, threading.Lock()
    _new_pages = threading.BoundedSemaphore(NEW_PAGES_AT_ONCE)


os.register_at_fork(after_in_child=_after_fork)
