"""`docwatch run` over time: 1,000 sources on `every = "1m"`, 10 % of the pages changing each
minute, for 30 minutes (`--minutes` for a shorter run). Each minute it samples the run's memory
(PSS summed over its processes) and the database's size; at the end it checks that every
change alerted exactly once.

    .venv/bin/python bench/soak.py [--minutes 30] [--sources 1000] [--changed 0.1]

The pages are served by bench/fetch_cycle.py's loopback server (ten sites, 50 ms latency,
ETags and 304s). A change inserts a new paragraph of its own into the page, so each one is
exactly one alert (`content_added`).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from fetch_cycle import ENV, EXE, PageServer, tree, tree_pss

from docwatch.demo.history import urm_page, urm_text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--changed", type=float, default=0.1)
    ap.add_argument("--latency", type=float, default=0.05)
    args = ap.parse_args()
    hosts = [f"127.0.0.{k + 1}" for k in range(10)]
    server = PageServer(args.latency, hosts)
    base = urm_page(urm_text("2023-07-20"), "2023-07-20")
    marker = b"</h1>"
    edits: dict[int, list[str]] = {k: [] for k in range(args.sources)}

    def render(k: int) -> bytes:
        extra = "".join(f"<p>Update {n} to page {k}: a new paragraph of its own.</p>"
                        for n in edits[k])
        return base.replace(marker, f" {k}</h1>{extra}".encode(), 1)

    for k in range(args.sources):
        server.pages[f"/page/{k}"] = render(k)
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        config, db = Path(tmp) / "docwatch.toml", Path(tmp) / "soak.db"
        config.write_text("[run]\nheartbeat = \"1m\"\n\n" + "\n".join(
            f'[[source]]\nname = "page-{k}"\nurl = "http://{hosts[k % 10]}:{server.port}'
            f'/page/{k}"\nevery = "1m"\nrobots = false\n' for k in range(args.sources)))
        log = open(Path(tmp) / "run.log", "w")
        run = subprocess.Popen([str(EXE), "--db", str(db), "--config", str(config), "run"],
                               stdout=log, stderr=subprocess.STDOUT, env=ENV)
        print(f"{args.sources} sources, every 1m, {args.changed:.0%} changing a minute, "
              f"{args.minutes} min, {os.cpu_count()} CPUs")
        print(f"{'minute':>6} {'PSS MB':>7} {'db MB':>6} {'changes made':>13} {'alerts':>7}")
        made, start, rows = 0, time.monotonic(), []
        for minute in range(1, args.minutes + 1):
            if minute > 1:  # the first minute records every page as new
                for k in rng.sample(range(args.sources), int(args.sources * args.changed)):
                    edits[k].append(f"{minute}")
                    server.pages[f"/page/{k}"] = render(k)
                    made += 1
            time.sleep(max(0.0, start + minute * 60 - time.monotonic()))
            alerts = _alerts(db)
            rows.append((minute, tree_pss(tree(run.pid)) / 1024, db.stat().st_size / 2**20
                         if db.exists() else 0.0, made, alerts))
            print(f"{minute:>6} {rows[-1][1]:7.1f} {rows[-1][2]:6.1f} {made:>13} {alerts:>7}",
                  flush=True)
        time.sleep(65)  # a last round of checks sees the last changes
        run.send_signal(signal.SIGTERM)
        run.wait(60)
        alerts = _alerts(db)
    settled = [r[1] for r in rows[5:]] or [rows[-1][1]]
    print(f"memory after minute 5: {min(settled):.1f}–{max(settled):.1f} MB "
          f"(growth {settled[-1] - settled[0]:+.1f} MB); alerts {alerts} for {made} changes "
          f"({'each once' if alerts == made else 'NOT each once'})")


def _alerts(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM changes WHERE alert").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


if __name__ == "__main__":
    main()
