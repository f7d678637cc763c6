"""glibc's allocator, set for a run's threads and page-sized buffers, and handed back what a
run freed before it forks its workers. Elsewhere than glibc there is nothing to do."""

from __future__ import annotations

import ctypes
import functools

# glibc's mallopt parameters
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    glibc = hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")  # not another C library
    return libc if glibc else None


def tune() -> None:
    """Set the allocator; the workers a run forks inherit the settings.

    - Two arenas: glibc gives threads that meet in malloc arenas of their own, up to eight
      per CPU, and each keeps what it once held (with a hundred fetch threads, 10-20 MB a
      process more).
    - Blocks of 128 KB and more mapped and unmapped on their own, always: by default that
      threshold rises each time such a block is freed, and from then on they come from the
      heap, whose holes keep it at its high-water mark (5-8 MB of a first cycle's peak).
    """
    if libc := _libc():
        libc.mallopt(M_ARENA_MAX, 2)
        libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024)


def trim() -> None:
    """Give the system back the heap's free pages, wherever they are (glibc by itself only
    gives back the heap's top). Before forking: what the config's parse tree held (100,000
    sources: 12 MB) is then neither kept here nor inherited by every worker."""
    if libc := _libc():
        libc.malloc_trim(0)
