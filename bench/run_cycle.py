"""`docwatch run`'s steady cycle, as the server sees it: `bench/fetch_cycle.py --mode run`.

    .venv/bin/python bench/fetch_cycle.py --mode run [--sources 1000] [--rounds 5]

1,000 sources on ten loopback sites (50 ms latency, ETags and 304s, as in `--mode once`), all
on `every = "5s"`, with docwatch's default politeness (4 requests at once a site): one job
that makes them all due together, every 5 s. The politeness floor is 100 pages a site, 4 at
once, 50 ms each: 1.25 s. After the first cycle (every page new, caught up at start) and one
more to settle, each round adds a paragraph of its own to 10 % of the pages and measures, from
the server's view, one cycle: from its first request to the answer that had every page checked
once more. The median over the rounds is set against the floor, with the daemon's CPU a cycle
and its memory (PSS, sampled every 100 ms) beside it; each changed page must be reported
changed exactly once (the daemon's JSON log says so).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from fetch_cycle import ENV, EXE, PageServer, bare_client, tree, tree_pss

from docwatch.demo.history import urm_page, urm_text
from docwatch.models import FetchSettings

EVERY = "5s"


def run_mode(args) -> None:
    hosts = [f"127.0.0.{k + 1}" for k in range(args.hosts)]
    server = PageServer(args.latency, hosts)
    base = urm_page(urm_text("2023-07-20"), "2023-07-20")
    edits: dict[int, int] = dict.fromkeys(range(args.sources), 0)

    def put(k: int) -> None:
        extra = "".join(f"<p>Update {n} to page {k}: a paragraph of its own.</p>"
                        for n in range(1, edits[k] + 1))
        server.pages[f"/page/{k}"] = base.replace(b"</h1>", f" {k}</h1>{extra}".encode(), 1)

    for k in range(args.sources):
        put(k)
    per_host = FetchSettings().per_host
    floor = -(-args.sources // args.hosts // per_host) * args.latency
    paths = [f"/page/{k}" for k in range(args.sources)]
    print(f"{args.sources} sources on {args.hosts} loopback sites, {args.latency * 1000:.0f} ms "
          f"latency, every = {EVERY!r}, default politeness (per_host {per_host}), "
          f"{args.changed:.0%} changed a round, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        config, db, log = Path(tmp) / "docwatch.toml", Path(tmp) / "run.db", Path(tmp) / "run.log"
        config.write_text("\n".join(
            f'[[source]]\nname = "page-{k}"\nurl = "http://{hosts[k % args.hosts]}:'
            f'{server.port}/page/{k}"\nevery = "{EVERY}"\n' for k in range(args.sources)),
            encoding="utf-8")
        with open(log, "w") as sink:
            daemon = subprocess.Popen([str(EXE), "--db", str(db), "--config", str(config),
                                       "run", "--log-format", "json"],
                                      stdout=sink, stderr=subprocess.STDOUT,
                                      env={**ENV, "HOME": tmp})
        peak = Peak(daemon.pid)
        try:
            t0 = time.monotonic()
            until_answered(daemon, server, paths, dict.fromkeys(paths, 0))
            first = time.monotonic() - t0
            until_answered(daemon, server, paths, dict(server.answered))  # one more, to settle
            rounds, step = [], round(1 / args.changed)
            for r in range(args.rounds):
                for k in range(0, args.sources, step):
                    edits[k] += 1
                    put(k)
                before, cpu = dict(server.answered), _cpu(daemon.pid)
                server.lap()
                end = until_answered(daemon, server, paths, before)
                start, _ = server.lap()  # the cycle's first request
                answers = sum(server.answered[p] - before[p] for p in paths)
                rounds.append({"cycle": end - start, "cpu": _cpu(daemon.pid) - cpu})
                print(f"round {r + 1}: from the cycle's first request to the answer that had "
                      f"every page checked once more {end - start:.2f} s "
                      f"({(end - start) / floor:.2f}× the floor); {answers} answers; the "
                      f"daemon's CPU {rounds[-1]['cpu']:.2f} s", flush=True)
                until_answered(daemon, server, paths, dict(server.answered))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
            peak.stop()
        reported = _reported(log)
    changed = {f"page-{k}": edits[k] for k in edits if edits[k]}
    right = sum(1 for name, n in changed.items() if reported.get(name) == n)
    cycle = statistics.median(r["cycle"] for r in rounds)
    bare = statistics.median(bare_client(server.port, hosts, args.sources, per_host)
                             for _ in range(3))
    cycles = sorted(r["cycle"] for r in rounds)
    print(f"first cycle (every page new, caught up over min(catch_up, every)): {first:.2f} s")
    print(f"politeness floor ({args.sources // args.hosts} pages a site, {per_host} at once, "
          f"{args.latency * 1000:.0f} ms each): {floor:.2f} s; the daemon's steady cycle, median "
          f"of {len(rounds)}: {cycle:.2f} s (range {cycles[0]:.2f}–{cycles[-1]:.2f}) = "
          f"{cycle / floor:.2f}× the floor; CPU {statistics.median(r['cpu'] for r in rounds):.2f}"
          f" s a cycle; peak PSS {peak.value / 1024:.0f} MB")
    print(f"a bare http.client process only fetching the same pages as politely (its start "
          f"included): {bare:.2f} s = {bare / floor:.2f}× the floor")
    print(f"changed pages reported changed exactly once a change: {right} of {len(changed)}")


def until_answered(daemon: subprocess.Popen, server: PageServer, paths: list[str], since: dict[str, int]) -> float:
    """Wait until every page has been answered since `since` (its counts then); when the last
    of them was (time.monotonic())."""
    while daemon.poll() is None:
        answered = server.answered
        if all(answered.get(p, 0) > since[p] for p in paths):
            return max(server.answered_at[p] for p in paths if answered[p] == since[p] + 1)
        time.sleep(0.005)  # the server's thread counts; a few ms of latency in the figure
    raise SystemExit(f"docwatch run exited ({daemon.returncode}) before the cycle was over")


def _cpu(pid: int) -> float:
    """User and system CPU seconds so far of a process and its children (the workers), all
    their threads."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return total


class Peak:
    """The largest PSS of a process tree, sampled every 100 ms in a thread of this process."""

    def __init__(self, pid: int):
        self.pid, self.value = pid, 0
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.ended.wait(0.1):
            self.value = max(self.value, tree_pss(tree(self.pid)))

    def stop(self) -> None:
        self.ended.set()
        self.thread.join()


def _reported(log: Path) -> dict[str, int]:
    """Source -> checks the daemon's JSON log reports with changes."""
    counts: dict[str, int] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "check" and event.get("result") == "changed":
            counts[event["source"]] = counts.get(event["source"], 0) + 1
    return counts
