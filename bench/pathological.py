"""Pathological pages (100,000 nested <div>s, a 9 MB single line, 200,000 paragraphs, a
50,000-row table): docwatch's parse time and peak memory for each, beside BeautifulSoup+lxml
building a tree of the same page, each in a fresh process so peak RSS is the page's own.

    .venv/bin/python bench/pathological.py
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from tests.pathological import PAGES  # noqa: E402


def _measure(name: str, how: str, out) -> None:
    body = PAGES[name]()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if how == "docwatch":
        from docwatch.errors import ParseError
        from docwatch.parsing import parse

        try:
            doc = parse(body)
            blocks = sum(len(s.blocks) for s in doc.sections)
            result = f"{blocks:,} blocks, {(time.perf_counter() - t0) / blocks * 1e6:.1f} µs a block"
        except ParseError as e:
            result = f"refused: {e.kind}"
    else:
        from bs4 import BeautifulSoup

        BeautifulSoup(body, "lxml")
        result = ""
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.send((len(body), took, peak / 1024, (peak - before) / 1024, result))


def measure(name: str, how: str) -> tuple:
    receiving, sending = multiprocessing.Pipe(duplex=False)
    worker = multiprocessing.Process(target=_measure, args=(name, how, sending))
    worker.start()
    figures = receiving.recv()
    worker.join()
    return figures


def main() -> None:
    print(f"{'page':12} {'size':>7} {'docwatch':>9} {'peak RSS':>9} {'bs4 tree':>9} "
          f"{'peak RSS':>9} {'ratio':>6}  result")
    for name in PAGES:
        size, took, peak, _, result = measure(name, "docwatch")
        _, bs4_took, bs4_peak, _, _ = measure(name, "bs4")
        print(f"{name:12} {size / 1e6:6.1f}M {took:8.2f}s {peak:7.0f}MB {bs4_took:8.2f}s "
              f"{bs4_peak:7.0f}MB {took / bs4_took:5.2f}×  {result}")


if __name__ == "__main__":
    main()
