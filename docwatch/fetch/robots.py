"""robots.txt: each site's rules, read once a day per site and shared by the checks of a
run; a site that cannot answer is allowed for now and asked again on the next run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cached_property
from urllib.robotparser import RobotFileParser

ROBOTS_AGENT = "docwatch"
ROBOTS_TTL = 24 * 3600
ROBOTS_RETRY = 3600  # a robots.txt that could not be read (dead site, 5xx) is tried again


class _Robots:
    """A site's robots.txt as read at `at` (epoch seconds), good for `ttl` seconds; parsed
    when first asked."""

    def __init__(self, at: float, body: str | None, ttl: float = ROBOTS_TTL):
        self.at = at
        self.body = body
        self.ttl = ttl

    def fresh(self) -> bool:
        return time.time() - self.at <= self.ttl

    @cached_property
    def rules(self) -> RobotFileParser | None:
        if self.body is None:
            return None
        rules = RobotFileParser()
        rules.parse(self.body.splitlines())
        return rules


class RobotsCache:
    """The robots.txt of each site a fetcher asked of, shared by its threads: one reads a
    site's file while the site's other checks wait for its rules."""

    def __init__(self) -> None:
        self._known: dict[str, _Robots] = {}
        self._reading: dict[str, threading.Lock] = {}
        self._read: dict[str, tuple[float, str | None]] = {}  # for the store
        self._lock = threading.Lock()

    def allows(self, site: str, url: str, read: Callable[[], tuple[str | None, bool]]) -> bool:
        """Whether `site`'s rules let docwatch fetch `url`; `read` fetches the file when no
        fresh copy is known: (the file, or None for every page allowed; whether that lasts)."""
        rules = self._of(site, read).rules
        return rules is None or rules.can_fetch(ROBOTS_AGENT, url)

    def remember(self, known: dict[str, tuple[float, str | None]]) -> None:
        """robots.txt files read before, by an earlier run: site -> (when, in epoch seconds;
        the file, or None when the site has none). Fresh ones are not read again."""
        with self._lock:
            for site, (at, body) in known.items():
                if site not in self._known or self._known[site].at < at:
                    self._known[site] = _Robots(at, body)

    def to_keep(self) -> dict[str, tuple[float, str | None]]:
        """The files read since last asked, in the form `remember` takes (answers that say
        nothing, a dead site or a 5xx, are left out)."""
        with self._lock:
            read, self._read = self._read, {}
        return read

    def _of(self, site: str, read: Callable[[], tuple[str | None, bool]]) -> _Robots:
        with self._lock:
            known = self._known.get(site)
            reading = self._reading.setdefault(site, threading.Lock())
        if known and known.fresh():
            return known
        with reading:
            with self._lock:
                known = self._known.get(site)
            if known and known.fresh():
                return known
            body, lasting = read()
            known = _Robots(time.time(), body, ROBOTS_TTL if lasting else ROBOTS_RETRY)
            with self._lock:
                self._known[site] = known
                if lasting:
                    self._read[site] = (known.at, body)
            return known
