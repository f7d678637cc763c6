"""Peak memory and time per source of a first cycle as the number of new sources grows:
1,000, 10,000 and 100,000.

    .venv/bin/python bench/first_cycle_memory.py [--sources 1000 10000 100000] [--latency 0.05]

Each size is a `docwatch fetch --once` into a fresh database, every page new, on the
loopback server and pages of bench/fetch_cycle.py (ten sites, 50 ms, concurrency 200), run
twice: once timed, once with its memory sampled. Peak memory is the proportional set size
summed over the run's processes (its workers too), sampled every 20 ms; the ratio to the
first size says whether memory stays bounded (the writer's queue and the check threads bound
it, not the number of sources), and the time per source whether a run slows as the database
grows. The timed run is not sampled: reading every process's memory each 20 ms takes CPU
from a CPU-bound run, and more the more memory and threads there are to read, so it slowed
a large run more than a small one. The server holds every page (100,000 pages
of 30 KB: 3 GB in the benchmark's own process).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from fetch_cycle import PageServer, apart, docwatch_command, first_pages, measure


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, nargs="+", default=[1000, 10000, 100000])
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
    figures, per_source = [], []
    for n in args.sources:
        run = apart(lambda memory: first_cycle(server, hosts, n, args.concurrency, memory))
        figures.append(run["rss_all"])
        per_source.append(run["wall"] / n)
        print(f"{n:>7,} sources: wall {run['wall']:7.2f} s ({per_source[-1] * 1000:.2f} ms a "
              f"source, {per_source[-1] / per_source[0]:.2f}×)   peak PSS, all processes "
              f"{run['rss_all']:4.0f} MB ({run['rss_all'] / figures[0]:.2f}× the "
              f"{args.sources[0]:,}-source run)   largest process RSS {run['rss']:4.0f} MB")


def first_cycle(server: PageServer, hosts: list[str], n: int, concurrency: int,
                memory: bool) -> dict:
    """One first cycle of `n` sources into a fresh database, its memory sampled or not."""
    with tempfile.TemporaryDirectory() as tmp:
        run = measure(docwatch_command(Path(tmp), hosts, server.port, n, concurrency),
                      memory=memory)
    if run["exit"] != 0:
        raise SystemExit(f"docwatch fetch --once of {n} sources exited {run['exit']}: "
                         f"{run['err'].strip()[-300:]}")
    return run


if __name__ == "__main__":
    main()
