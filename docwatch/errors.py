"""Exceptions that say what failed and why; the CLI prints them as one line."""

from __future__ import annotations

import re


class DocwatchError(Exception):
    """Base class: an expected fault, reported as one clear line."""


class ConfigError(DocwatchError):
    """The configuration file is unreadable or invalid (names file, field and reason)."""


class UsageError(DocwatchError):
    """A command was given something it cannot use: a missing database, a bad date, an
    unknown source (the CLI exits 2)."""


class ParseError(DocwatchError):
    """A body could not be turned into a document; `kind`: empty, binary, undecodable,
    unparseable, too_deep."""

    def __init__(self, message: str, kind: str = "unparseable"):
        super().__init__(message)
        self.kind = kind


class FetchError(DocwatchError):
    """A page could not be fetched; `kind` classifies the failure for the fetch log."""

    def __init__(self, kind: str, message: str, status_code: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.status_code = status_code
        self.retry_after = retry_after  # seconds the server asked us to wait (429, 503)


def system_reason(text: str) -> str:
    """"HTTPConnection(host=…): Failed to establish … [Errno 111] Connection refused" → the
    system's own words at the end, without the HTTP library's object names."""
    errno = re.findall(r"\[Errno -?\d+\] ([^)'\"]+)", text)
    return errno[-1].strip() if errno else text.rsplit(": ", 1)[-1]
