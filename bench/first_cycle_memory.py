"""Peak memory of a first cycle as the number of new sources grows: 1,000 and 10,000.

    .venv/bin/python bench/first_cycle_memory.py [--sources 1000 10000] [--latency 0.05]

Each size is one `docwatch fetch --once` into a fresh database, every page new, on the
loopback server and pages of bench/fetch_cycle.py (ten sites, 50 ms, concurrency 200). Peak
memory is the proportional set size summed over the run's processes (its workers too),
sampled every 20 ms; the ratio to the first size says whether memory stays bounded (the
writer's queue and the check threads bound it, not the number of sources).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from fetch_cycle import PageServer, docwatch_command, first_pages, measure


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=10)
    args = ap.parse_args()
    if not args.sources or min(args.sources) < 1:
        ap.error("--sources takes one or more positive counts")

    hosts = [f"127.0.0.{k + 1}" for k in range(args.hosts)]
    server = PageServer(args.latency, hosts)
    first_pages(server, max(args.sources))
    print(f"first cycle, every page new: {args.hosts} loopback sites, "
          f"{args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs")
    figures = []
    for n in args.sources:
        with tempfile.TemporaryDirectory() as tmp:
            run = measure(docwatch_command(Path(tmp), hosts, server.port, n, args.concurrency))
        if run["exit"] != 0:
            raise SystemExit(f"docwatch fetch --once of {n} sources exited {run['exit']}: "
                             f"{run['err'].strip()[-300:]}")
        figures.append(run["rss_all"])
        print(f"{n:>7,} sources: wall {run['wall']:6.2f} s   peak PSS, all processes "
              f"{run['rss_all']:4.0f} MB   largest process RSS {run['rss']:4.0f} MB   "
              f"({run['rss_all'] / figures[0]:.2f}× the {args.sources[0]:,}-source run)")


if __name__ == "__main__":
    main()
