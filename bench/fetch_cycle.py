"""Wall time, CPU time and peak RSS of one `docwatch fetch --once` cycle of 1,000 sources
(`--mode run`: of `docwatch run`'s steady cycle, see bench/run_cycle.py).

    .venv/bin/python bench/fetch_cycle.py [--mode once|run] [--sources 1000] [--latency 0.05]
                                          [--changed 0.1] [--rounds 5]
                                          [--settings default raised]

A loopback server (asyncio, keep-alive) answers every page after 50 ms; each page is a 30 KB
urm.lt page, sent with an ETag (a 304 to a matching If-None-Match), as ministry servers do.
The first cycle records every page; then, each round, 10 % of the pages change (to a newer
version, and in the next round back) and a cycle is measured, each its own `docwatch fetch
--once` process as cron or an operator would run it; the median is reported. Memory is
sampled in runs of their own, never in a timed one (sampling takes a tenth of a CPU): one
more steady cycle, and the first cycle run once more from nothing. The pages are spread over
ten sites (127.0.0.1 … 127.0.0.10, all loopback), a hundred each.

Each is measured with docwatch's default settings (no [fetch] table: 4 requests at once a
site) and with raised ones (20 a site), beside the politeness floor (pages a site / requests
at once × latency) and a bare `http.client` process that only fetches the same pages as
politely: what any tool's cycle costs on this machine and server. The steady cycles' wall is
split as the server saw it: the start until the first request, the fetching until the last
answer (beside the floor), and what follows it. A process that only starts as docwatch does
(its imports and the config read, nothing fetched) added to the bare client's run is the
least a cron run of docwatch can take here.

urlwatch, if installed (see `--urlwatch`), runs the same cycles on the same server in the
same run (with the raised settings), and a table compares the two: wall time and peak memory
over all processes.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import inspect
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from docwatch.demo.history import urm_page, urm_text
from docwatch.models import FetchSettings

EXE = Path(sys.executable).parent / "docwatch"


class PageServer:
    """HTTP/1.1 keep-alive server on 127.0.0.1 answering /page/N after `latency` seconds."""

    def __init__(self, latency: float, hosts: list[str]):
        self.hosts = hosts
        self.latency = latency
        self.pages: dict[str, bytes] = {}
        # `time.monotonic()` of the first request and of the last answer sent since `lap()`:
        # the clock is the system's, the same in the process that starts a run.
        self.first_request: float | None = None
        self.last_answer: float | None = None
        self.answered: dict[str, int] = {}  # path -> answers sent, for `--mode run`
        self.answered_at: dict[str, float] = {}  # path -> when the last was sent
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(
            self._client, self.hosts[0], 0, backlog=1024))
        self.port = server.sockets[0].getsockname()[1]
        for host in self.hosts[1:]:  # the same port on every other loopback address
            self.loop.run_until_complete(asyncio.start_server(self._client, host, self.port,
                                                              backlog=1024))
        self.ready.set()
        self.loop.run_forever()

    def lap(self) -> tuple[float | None, float | None]:
        """The first request and the last answer since the last lap, then forget them."""
        times = self.first_request, self.last_answer
        self.first_request = self.last_answer = None
        return times

    def _answer(self, path: str, head: bytes) -> bytes:
        body = self.pages.get(path)
        if body is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
        # An ETag, as a ministry's web server sends one: a tool that keeps it and asks
        # If-None-Match gets a 304 without the body while the page is the same.
        etag = _etag(body)
        if re.search(rb"(?im)^if-none-match:\s*" + re.escape(etag), head):
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n"
        return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nETag: " + etag +
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if self.first_request is None:
                    self.first_request = time.monotonic()
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(self.latency)
                writer.write(self._answer(path, head))
                await writer.drain()
                self.last_answer = time.monotonic()
                self.answered[path] = self.answered.get(path, 0) + 1
                self.answered_at[path] = self.last_answer
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@functools.lru_cache(maxsize=4096)  # the server's CPU is the tools' too: each body hashed once
def _etag(body: bytes) -> bytes:
    return b'"' + hashlib.sha1(body).hexdigest()[:16].encode() + b'"'


#: Politeness settings measured: docwatch's defaults (no [fetch] table: per_host 4), and
#: raised ones (concurrency 200, per_host 20).
SETTINGS = {"default": 0, "raised": 200}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("once", "run"), default="once",
                    help="once: each cycle its own `fetch --once` process (cron's way); run: "
                         "the cycles of one `docwatch run` (bench/run_cycle.py)")
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--changed", type=float, default=0.1)
    ap.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=list(SETTINGS),
                    help="docwatch's defaults (per_host 4) and/or raised ones (per_host 20)")
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--processes", type=int, default=0, help="0: docwatch's default")
    ap.add_argument("--rounds", type=int, default=5, help="measured cycles (median reported)")
    ap.add_argument("--urlwatch", default=_default_urlwatch(),
                    help="urlwatch executable to run side by side [default: bench/.urlwatch, "
                         "else on PATH]")
    args = ap.parse_args()
    if args.mode == "run":
        from run_cycle import run_mode

        return run_mode(args)

    hosts = [f"127.0.0.{k + 1}" for k in range(args.hosts)]
    server = PageServer(args.latency, hosts)
    base = first_pages(server, args.sources)
    changed = urm_page(urm_text("2024-04-02"), "2024-04-02")
    print(f"{args.sources} sources on {args.hosts} loopback sites, {args.latency * 1000:.0f} ms "
          f"latency, {args.changed:.0%} changed, {os.cpu_count()} CPUs")
    for name in args.settings:
        concurrency = SETTINGS[name]
        per_host = -(-concurrency // args.hosts) if concurrency else FetchSettings().per_host
        floor = -(-args.sources // args.hosts // per_host) * args.latency
        with tempfile.TemporaryDirectory() as tmp:
            command = docwatch_command(Path(tmp), hosts, server.port, args.sources,
                                       concurrency, args.processes)
            first, cycles = run_cycles(command, _files(Path(tmp), "bench.db"), server, args,
                                       base, changed)
            bare = statistics.median(bare_client(server.port, hosts, args.sources, per_host)
                                     for _ in range(3))
            start = statistics.median(start_alone(Path(tmp) / "docwatch.toml") for _ in range(3))
            theirs = None
            if args.urlwatch and name == "raised":
                urlwatch = urlwatch_command(args.urlwatch, Path(tmp), hosts, server.port,
                                            args.sources)
                theirs = run_cycles(urlwatch, _files(Path(tmp), "urlwatch.db"), server, args,
                                    base, changed)
        # The bare client's run includes an interpreter's start, which docwatch's start counts too.
        least = bare + start - statistics.median(start_alone(None) for _ in range(3))
        print()
        print(f"## {name} settings: per_host {per_host}"
              + (f", concurrency {concurrency}" if concurrency else " (no [fetch] table)"))
        report(first, cycles)
        steady = statistics.median(m["wall"] for m in cycles if not m["rss_all"])
        print(f"politeness floor ({args.sources // args.hosts} pages a site, {per_host} at once, "
              f"{args.latency * 1000:.0f} ms each): {floor:.2f} s; steady cycle "
              f"{steady:.2f} s = {steady / floor:.2f}× the floor; a bare http.client process "
              f"fetching the same pages as politely: {bare:.2f} s = {bare / floor:.2f}×")
        print(phases(cycles, floor))
        print(f"docwatch's start alone (the interpreter, its imports, the config's {args.sources} "
              f"sources read): {start:.2f} s; with the bare client's run, {least:.2f} s = "
              f"{least / floor:.2f}× the floor: a cron run's least on this machine")
        if theirs:
            side_by_side(first, cycles, *theirs)
        elif name == "raised":
            print("urlwatch not found: install it beside docwatch's environment to compare "
                  "(python3 -m venv bench/.urlwatch && bench/.urlwatch/bin/pip install urlwatch "
                  "html2text)")


def report(first: dict, cycles: list[dict]) -> None:
    print(f"first cycle (all new):  wall {first['wall']:5.2f} s   CPU {first['cpu']:5.2f} s   "
          f"peak RSS {first['rss']:4.0f} MB")
    spent = next((line for line in first["err"].splitlines() if "time in" in line), "")
    print(f"  where it went: {spent.split('time in ', 1)[-1]} (fetch: waiting for pages, "
          "summed over the checks; parse, diff: CPU summed over them; store: the writer)")
    for r, m in enumerate(cycles, 1):
        print(f"{'memory' if m['rss_all'] else 'measured'} cycle {r}:       wall {m['wall']:5.2f} s"
              f"   CPU {m['cpu']:5.2f} s   peak RSS {m['rss']:4.0f} MB   exit {m['exit']}   pages "
              f"reported changed {_reported(m['out'])}")
    timed = [m for m in cycles if not m["rss_all"]]
    walls = sorted(m["wall"] for m in timed)
    print(f"measured cycle, median of {len(timed)}: wall {statistics.median(walls):.2f} s "
          f"(range {walls[0]:.2f}–{walls[-1]:.2f})   CPU "
          f"{statistics.median(m['cpu'] for m in timed):.2f} s (all processes)   "
          f"peak RSS {max(m['rss'] for m in cycles):.0f} MB (largest process)")
    print(f"the loopback server's own CPU, on the same CPUs: "
          f"{statistics.median(m['server_cpu'] for m in cycles):.2f} s a cycle")


def phases(cycles: list[dict], floor: float) -> str:
    """The timed cycles' wall in parts, as the loopback server saw it (medians)."""
    timed = [m["phases"] for m in cycles if not m["rss_all"] and "phases" in m]
    if not timed:
        return "the server saw no request"
    start, fetching, after = (statistics.median(p[k] for p in timed) for k in range(3))
    return (f"as the server saw a steady cycle (medians): {start:.2f} s until the first request"
            f" · {fetching:.2f} s from it to the last answer ({fetching / floor:.2f}× the floor)"
            f" · {after:.2f} s after it")


BARE = """
import http.client, queue, sys, threading
port, per_host, hosts, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), int(sys.argv[4])
todo = {h: queue.Queue() for h in hosts}
for k in range(n):
    todo[hosts[k % len(hosts)]].put(k)
def fetch(host):
    conn = http.client.HTTPConnection(host, port)
    while True:
        try:
            k = todo[host].get_nowait()
        except queue.Empty:
            return
        conn.request("GET", f"/page/{k}")
        conn.getresponse().read()
threads = [threading.Thread(target=fetch, args=(h,)) for h in hosts for _ in range(per_host)]
for t in threads: t.start()
for t in threads: t.join()
"""


def bare_client(port: int, hosts: list[str], n: int, per_host: int) -> float:
    """Wall time of a process that only fetches the pages (keep-alive, `per_host` at once a
    site) and does nothing with them: what any tool's cycle costs on this machine and server."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE, str(port), str(per_host), ",".join(hosts),
                    str(n)], check=True, env=ENV)
    return time.perf_counter() - t0


START = """
import sys
from docwatch import cli, config, pipeline  # what `fetch --once` loads before its first request
config.load(sys.argv[1], required=True)
"""


def start_alone(config: Path | None) -> float:
    """Wall time of a process that only starts as `docwatch fetch --once` does: the
    interpreter, docwatch's imports up to the fetcher, the config read; nothing fetched.
    Without a config, of the interpreter alone."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", *([START, str(config)] if config else [""])],
                   check=True, env=ENV)
    return time.perf_counter() - t0


def docwatch_command(tmp: Path, hosts: list[str], port: int, n: int, concurrency: int,
                     processes: int = 0) -> list[str]:
    """`docwatch fetch --once --timings` over `n` pages spread over `hosts`; its config and
    database in `tmp`. `concurrency` 0: docwatch's default settings (no [fetch] table)."""
    config = tmp / "docwatch.toml"
    per_host = -(-concurrency // len(hosts))
    lines = [f"[fetch]\nconcurrency = {concurrency}\nper_host = {per_host}\n"
             f"processes = {processes}\n"] if concurrency else []  # 0: docwatch's defaults
    lines += [f'[[source]]\nname = "page-{k}"\n'
              f'url = "http://{hosts[k % len(hosts)]}:{port}/page/{k}"\n' for k in range(n)]
    config.write_text("\n".join(lines), encoding="utf-8")
    return [str(EXE), "--db", str(tmp / "bench.db"), "--config", str(config), "fetch", "--once",
            "--timings"]


def first_pages(server: PageServer, n: int) -> bytes:
    """Put up `n` pages, each its own (its number in the heading); returns the page's base."""
    base = urm_page(urm_text("2023-07-20"), "2023-07-20")
    for k in range(n):
        server.pages[f"/page/{k}"] = base.replace(b"</h1>", f" {k}</h1>".encode(), 1)
    return base


def run_cycles(command: list[str], state: list[Path], server: PageServer, args, base: bytes,
               changed: bytes) -> tuple[dict, list[dict]]:
    """The first cycle (every page new), then `rounds` cycles with 10 % of the pages changed,
    timed, and one more whose memory is sampled (`memory`: reading every process's memory
    each 20 ms takes 11 % of a CPU, which on two would slow the cycle it measures).

    The first cycle is run twice from nothing (`state`, the tool's files, deleted before
    each): timed, and sampled for its memory (`apart`)."""
    first_pages(server, args.sources)  # every tool starts from the same pages

    def first_cycle(memory: bool) -> dict:
        for path in state:
            path.unlink(missing_ok=True)
        return measure(command, memory=memory, server=server)

    first = apart(first_cycle)
    cycles = []
    step = round(1 / args.changed)
    for r in range(args.rounds + 1):
        # Every round the same 10 % of the pages change: to the newer version, then back.
        version = changed if r % 2 == 0 else base
        for k in range(0, args.sources, step):
            server.pages[f"/page/{k}"] = version.replace(b"</h1>", f" {k}</h1>".encode(), 1)
        before = resource.getrusage(resource.RUSAGE_SELF)
        cycles.append(measure(command, memory=r == args.rounds, server=server))
        after = resource.getrusage(resource.RUSAGE_SELF)
        cycles[-1]["server_cpu"] = (after.ru_utime + after.ru_stime
                                    - before.ru_utime - before.ru_stime)
    return first, cycles


def apart(run: Callable[[bool], dict]) -> dict:
    """`run(memory)` twice, timed and then sampled for its memory, as one run's figures: the
    sampling takes CPU from a CPU-bound run, and more the more memory and threads it reads,
    so a sampled run's time says less the larger the run."""
    timed, sampled = run(False), run(True)
    return {**timed, "rss_all": sampled["rss_all"], "rss": sampled["rss"]}


def _files(tmp: Path, db: str) -> list[Path]:
    """A tool's SQLite database in `tmp` with the files SQLite keeps beside it."""
    return [tmp / (db + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def _default_urlwatch() -> str | None:
    local = Path(__file__).parent / ".urlwatch" / "bin" / "urlwatch"
    return str(local) if local.exists() else shutil.which("urlwatch")


def urlwatch_command(exe: str, tmp: Path, hosts: list[str], port: int, n: int) -> list[str]:
    """urlwatch with default settings on the same pages, each job with the `html2text` filter
    (its way to compare text, not markup); its config is written before the first cycle."""
    jobs = [f"name: page-{k}\nurl: http://{hosts[k % len(hosts)]}:{port}/page/{k}\n"
            "filter:\n  - html2text\n" for k in range(n)]
    (tmp / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
    command = [exe, "--urls", str(tmp / "urls.yaml"), "--config", str(tmp / "urlwatch.yaml"),
               "--cache", str(tmp / "urlwatch.db"), "--hooks", str(tmp / "hooks.py")]
    subprocess.run([*command, "--list"], check=True, capture_output=True, env={**ENV, "HOME": str(tmp)})
    return command


def side_by_side(first: dict, cycles: list[dict], their_first: dict,
                 their_cycles: list[dict]) -> None:
    steady = statistics.median(m["wall"] for m in cycles if not m["rss_all"])
    their_steady = statistics.median(m["wall"] for m in their_cycles if not m["rss_all"])
    peak = max([first["rss_all"]] + [m["rss_all"] for m in cycles])
    their_peak = max([their_first["rss_all"]] + [m["rss_all"] for m in their_cycles])
    print()
    print("| cycle | docwatch | urlwatch | ratio |")
    print("|---|---|---|---|")
    print(f"| first (every page new) | {first['wall']:.2f} s | {their_first['wall']:.2f} s | "
          f"{their_first['wall'] / first['wall']:.1f}× |")
    print(f"| steady (10 % changed), median | {steady:.2f} s | {their_steady:.2f} s | "
          f"{their_steady / steady:.1f}× |")
    print(f"| peak memory, all processes (PSS) | {peak:.0f} MB | {their_peak:.0f} MB | "
          f"{their_peak / peak:.1f}× |")


def _reported(out: str) -> int:
    """Pages the run's output reports as changed."""
    return sum(1 for line in out.splitlines()
               if line.startswith("page-") and " — " in line and " change" in line)


def tree(pid: int) -> list[int]:
    """A process and all its descendants now (from /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return out


def tree_pss(pids: list[int]) -> int:
    """Proportional set size of the processes (a `tree`) now, in kB (from /proc): pages
    shared by forked workers are counted once in all, not once per process."""
    total = 0
    for p in pids:
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            total += int(next(l.split()[1] for l in rollup.splitlines() if l.startswith("Pss:")))
        except (OSError, StopIteration, ValueError):
            pass
    return total


def tree_cpu(pids: list[int], seen: dict[int, float]) -> None:
    """The CPU seconds each of the processes (a `tree`) has used so far, into `seen`: a
    process whose parent is not ours (Chromium's renderers, reaped by its zygote) is in no
    rusage of ours."""
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            seen[p] = max(seen.get(p, 0.0), (int(fields[11]) + int(fields[12])) / tick)
        except (OSError, ValueError, IndexError):
            pass


# Run in a fresh interpreter so that its children's figures are this one cycle's alone
# (RUSAGE_CHILDREN keeps the largest RSS of every child ever waited for).
MEASURE = """
import json, os, resource, subprocess, sys, threading, time
from pathlib import Path

""" + "".join(inspect.getsource(f) for f in (tree, tree_pss, tree_cpu)) + """
with open(sys.argv[1], "w") as sink, open(sys.argv[1] + ".err", "w") as errors:
    t0, launched = time.perf_counter(), time.monotonic()
    proc = subprocess.Popen(sys.argv[3:], stdout=sink, stderr=errors,
                            env={**os.environ, "HOME": os.path.dirname(sys.argv[1])})
    peak_all, cpus = 0, {}
    ended = threading.Event()

    def sample():  # every 20 ms: the sum over every process of the run
        global peak_all
        while not ended.wait(0.02):
            pids = tree(proc.pid)  # walked once a sample, for both
            peak_all = max(peak_all, tree_pss(pids))
            tree_cpu(pids, cpus)

    sampler = threading.Thread(target=sample)
    if sys.argv[2] == "memory":
        sampler.start()
    status = proc.wait()  # the wall time ends when the run does, not at the next sample
    wall, exited = time.perf_counter() - t0, time.monotonic()
    ended.set()
    if sampler.is_alive():
        sampler.join()
every = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": every.ru_utime + every.ru_stime,
                  "rss": every.ru_maxrss / 1024, "rss_all": peak_all / 1024,
                  "cpu_all": sum(cpus.values()),
                  "exit": status, "launched": launched, "exited": exited}))
"""


# This machine sets PYTHONDONTWRITEBYTECODE=1, so an editable install would compile docwatch's
# modules from source at every start (50 ms); an installed docwatch has its bytecode (pip
# writes it), and so does docwatch here from the first cycle on.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], memory: bool = False, server: PageServer | None = None) -> dict:
    """Wall, CPU (with worker processes), peak RSS and output of one run of `command`; with
    `memory`, the peak of all its processes' memory at once too (`rss_all`, else 0) and the
    CPU of all of them, sampled (`cpu_all`, a sample's worth short); with the
    `server` it fetches from, its wall in three parts as the server saw them (`phases`): the
    start until the first request, the fetching until the last answer, and what follows."""
    if server:
        server.lap()
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        figures = json.loads(subprocess.run([sys.executable, "-c", MEASURE, out.name,
                                             "memory" if memory else "time", *command],
                                            check=True, capture_output=True, text=True,
                                            env=ENV).stdout)
        if server and None not in (times := server.lap()):
            first, last = times
            figures["phases"] = (first - figures["launched"], last - first,
                                 figures["exited"] - last)
        err = Path(out.name + ".err")
        try:
            return {**figures, "out": out.read(), "err": err.read_text()}
        finally:
            err.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
