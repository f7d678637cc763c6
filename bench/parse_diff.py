"""Median parse and parse+diff time for a ministry page pair (as a document, and rebuilt as
an app in both shapes of `docwatch.demo.apps`), the EDGI corpus pairs and a page with
mojibake (`tests/pathological.py`), beside BeautifulSoup+lxml's time to build a
tree of the same new page, measured in the same run.

    .venv/bin/python bench/parse_diff.py

Each round times all four, in turn. `parse+diff` is what a check costs: parse the new page, diff it against the previous
version (which the pipeline loads from the store). `ratio` is parse+diff over the
BeautifulSoup tree build. `2×parse+diff` also re-parses the old page, as happens once after
a parser upgrade.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).parent.parent))

from docwatch.demo.apps import rebuild  # noqa: E402
from docwatch.demo.history import urm_page, urm_text  # noqa: E402
from docwatch.diffing import diff  # noqa: E402
from docwatch.parsing import parse  # noqa: E402
from tests.pathological import mojibake  # noqa: E402
from timing import interleaved_medians  # noqa: E402

EDGI = Path(__file__).parent.parent / "tests/fixtures/edgi"
ROUNDS = 40


def main() -> None:
    dates = ("2024-04-02", "2024-07-15")
    urm = [urm_page(urm_text(d), d) for d in dates]
    pairs = [("urm.lt 2024-04 → 2024-07", *urm)]
    # The same pages as apps: boxes with ARIA roles, or headings only drawn in bold, larger
    # type; class names generated anew for each version.
    for shape in ("roles", "styled"):
        pairs.append((f"urm.lt as an app ({shape})",
                      *(rebuild(page, shape, build=d) for page, d in zip(urm, dates))))
    for name in ("falsepos-num-views", "truepos-dataset-removal", "truepos-major-changes"):
        pairs.append((f"edgi {name}", (EDGI / f"{name}-a.html").read_bytes(),
                      (EDGI / f"{name}-b.html").read_bytes()))
    # A government page with a few double-encoded passages ("agencyâ€™s", "cafÃ©").
    pairs.append(("mojibake (own page)", mojibake(), mojibake(version=2)))
    print(f"{'pair':30} {'size':>6} {'bs4 tree':>9} {'parse':>7} {'parse+diff':>11} {'ratio':>6}"
          f" {'2×parse+diff':>13}   (median of {ROUNDS})")
    for name, a, b in pairs:
        old = parse(a)
        # In turn in each round: the ratio compares times taken in the same moments.
        ms = {k: v * 1000 for k, v in interleaved_medians({
            "soup": lambda: BeautifulSoup(b, "lxml"),
            "parse": lambda: parse(b),
            "parse+diff": lambda: diff(old, parse(b)),
            "both": lambda: diff(parse(a), parse(b)),
        }, ROUNDS).items()}
        soup, p, pd, both = ms["soup"], ms["parse"], ms["parse+diff"], ms["both"]
        print(f"{name:30} {len(b) / 1024:4.0f}KB {soup:7.1f}ms {p:5.1f}ms {pd:9.1f}ms "
              f"{pd / soup:5.2f}× {both:11.1f}ms")


if __name__ == "__main__":
    main()
