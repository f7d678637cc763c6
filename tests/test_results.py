"""A large run's results, kept compact until it reports (`docwatch.results`)."""

from __future__ import annotations

from docwatch.models import Change, CheckResult, Source
from docwatch.results import Results


def test_results_come_back_whole_in_the_sources_order_however_they_were_kept():
    sources = [Source(f"p{k}", f"http://127.0.0.1/p/{k}") for k in range(5)]
    results = Results(sources)
    change = Change(["Chronology"], "added", "new_entry", None, "11–12 July 2023: Vilnius summit",
                    [], [], 0.9, True)
    given = {
        3: CheckResult("p3", "unchanged"),  # a 304: no snapshot id
        0: CheckResult("p0", "new", snapshot_id=7),
        4: CheckResult("p4", "changed", (change,), snapshot_id=2**40),
        1: CheckResult("p1", "error", error_kind="gone", error="404 Not Found"),
    }
    for i, result in given.items():
        results[i] = result
    assert [results.has(i) for i in range(5)] == [True, True, False, True, True]
    assert results.all() == [given[0], given[1], None, given[3], given[4]]
    assert len(results.full) == 2  # only the change and the error are kept as objects
