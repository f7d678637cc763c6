"""What rendering pages in a browser costs: 50 pages on loopback checked by `docwatch fetch
--once`, plainly and with `render = "browser"` (headless Chromium over its DevTools pipe), each
a first cycle into a fresh database. Peak memory is the proportional set size summed over the
run's processes, the browser's included, sampled every 20 ms, and so is their CPU (Chromium's
renderers are reaped by its zygote, in no rusage of ours). Each is run `--repeat` times, in
turn: the best wall of each (the least noisy estimate, as timeit takes) and the highest peak.

    .venv/bin/python bench/render.py [--pages 50] [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from fetch_cycle import EXE, PageServer, measure

from docwatch.browser import find_chromium
from docwatch.demo.history import urm_page, urm_text

# A small script of the kind most government pages carry: it changes nothing of the text.
SCRIPT = b"<script>document.documentElement.classList.add('js');</script></body>"


def command(tmp: Path, hosts: list[str], port: int, n: int, render: bool,
            pages: int) -> list[str]:
    config = tmp / "docwatch.toml"
    lines = [f"[fetch]\nper_host = 4\nbrowser_pages = {pages}\n"]
    lines += [f'[[source]]\nname = "page-{k}"\nrobots = false\n'
              f'url = "http://{hosts[k % len(hosts)]}:{port}/page/{k}"\n'
              + ('render = "browser"\n' if render else "") for k in range(n)]
    config.write_text("\n".join(lines), encoding="utf-8")
    return [str(EXE), "--db", str(tmp / "bench.db"), "--config", str(config), "fetch", "--once"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--hosts", type=int, default=5)
    ap.add_argument("--browser-pages", type=int, default=4, help="pages rendered at once")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not find_chromium():
        raise SystemExit("bench/render.py needs Chromium: apt-get install chromium")
    hosts = [f"127.0.0.{k + 1}" for k in range(args.hosts)]
    server = PageServer(args.latency, hosts)
    base = urm_page(urm_text("2023-07-20"), "2023-07-20").replace(b"</body>", SCRIPT, 1)
    for k in range(args.pages):
        server.pages[f"/page/{k}"] = base.replace(b"</h1>", f" {k}</h1>".encode(), 1)
    print(f"{args.pages} pages ({len(base) / 1024:.0f} KB each), {args.hosts} loopback sites, "
          f"{args.latency * 1000:.0f} ms latency, per_host 4, {args.browser_pages} pages "
          f"rendered at once, {os.cpu_count()} CPUs; "
          "a first cycle each")
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(args.repeat):
        for render in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                run = measure(command(Path(tmp), hosts, server.port, args.pages, render,
                                      args.browser_pages), memory=True)
            if run["exit"] != 0:
                raise SystemExit(f"docwatch exited {run['exit']}: {run['err'].strip()[-300:]}")
            runs[render].append(run)
    best = {render: (min(r["wall"] for r in rs), max(r["rss_all"] for r in rs),
                     min(r["cpu_all"] for r in rs)) for render, rs in runs.items()}
    # What the browser costs before it draws much: one page rendered, against the same plain
    # run of all of them.
    with tempfile.TemporaryDirectory() as tmp:
        least = measure(command(Path(tmp), hosts, server.port, 1, True, args.browser_pages),
                        memory=True)
    for render, (wall, pss, cpu) in best.items():
        print(f"{'rendered' if render else 'plain':>9}: wall {wall:6.2f} s "
              f"({wall / best[False][0]:4.1f}×)   peak PSS, all processes "
              f"{pss:5.0f} MB ({pss / best[False][1]:4.1f}×)   CPU, all processes {cpu:5.1f} s")
    print(f"{'one page':>9}: rendered alone, peak PSS, all processes {least['rss_all']:5.0f} MB "
          f"({least['rss_all'] / best[False][1]:4.1f}× the plain run of {args.pages}): the "
          "browser's own")

if __name__ == "__main__":
    main()
