"""A large run's results, kept compact until it reports."""

from __future__ import annotations

from array import array

from .models import CheckResult, Source

#: The statuses a plain result is kept as (a byte: its place here, plus one; 0: none yet).
_STATUSES = ("new", "changed", "noise_only", "unchanged")
_FULL = 255
_NO_SNAPSHOT = -1


class Results:
    """The results of a run's checks, by their sources' positions: a byte and a snapshot id
    each, and the whole `CheckResult` only where there is more to tell (changes, an error,
    linked documents).

    The writer makes a result after each page it stores, among the objects of the pages it
    is writing: 100,000 of them, each a small object left here and there, kept 40 MB of the
    run's heap from being given back. Here they take 9 bytes each, and the results are made
    whole only at the end (`all`), once the workers are gone.
    """

    def __init__(self, sources: list[Source]):
        self.sources = sources
        self.codes = bytearray(len(sources))
        self.snapshots = array("q", bytes(8 * len(sources)))
        self.full: dict[int, CheckResult] = {}

    def __setitem__(self, i: int, result: CheckResult) -> None:
        plain = (result.status in _STATUSES and not (result.changes or result.documents
                 or result.error or result.error_kind) and result.source == self.sources[i].name)
        if plain:
            self.codes[i] = _STATUSES.index(result.status) + 1
            self.snapshots[i] = _NO_SNAPSHOT if result.snapshot_id is None else result.snapshot_id
        else:
            self.codes[i] = _FULL
            self.full[i] = result

    def has(self, i: int) -> bool:
        """Whether the `i`th source's result is in."""
        return self.codes[i] != 0

    def __getitem__(self, i: int) -> CheckResult | None:
        code = self.codes[i]
        if code == 0:
            return None
        if code == _FULL:
            return self.full[i]
        snapshot = self.snapshots[i]
        return CheckResult(self.sources[i].name, _STATUSES[code - 1],
                           snapshot_id=None if snapshot == _NO_SNAPSHOT else snapshot)

    def all(self) -> list[CheckResult | None]:
        """Every result, in the sources' order (None: not checked)."""
        return [self[i] for i in range(len(self.sources))]
