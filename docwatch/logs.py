"""Log output for `docwatch run`: readable lines, or one JSON object per line for collectors."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


def setup(fmt: str = "text", level: int = logging.INFO) -> None:
    """Send docwatch's log records to stderr as text lines or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        # Extra fields given at the call site (event, source, result, ...) become JSON keys.
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level"},
        ))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logger = logging.getLogger("docwatch")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    # The libraries' warnings (APScheduler skipping a run) in the same format: a collector
    # reading JSON lines must not meet a line of text.
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
