"""The one orchestrator: fetch → parse → diffing (a check's `observe`) → store → notify.

One source at a time (`check`), or many at once (`check_all`): in threads, and for large runs
in worker processes that observe while this process alone writes (`processes`).
"""

from __future__ import annotations

from .check import check, observe, record, remembered
from .many import CAN_FORK, PROCESS_MIN_SOURCES, Timings, check_all, check_later
from .offline import diff_targets, reparse
from .thinking import NEW_PAGES_AT_ONCE

__all__ = ["CAN_FORK", "NEW_PAGES_AT_ONCE", "PROCESS_MIN_SOURCES", "Timings", "check",
           "check_all", "check_later", "diff_targets", "observe", "record", "remembered", "reparse"]
