"""Wall time, CPU time and peak RSS of one `docwatch fetch --once` cycle of 1,000 sources.

    .venv/bin/python bench/fetch_cycle.py [--sources 1000] [--latency 0.05] [--changed 0.1]

A loopback server (asyncio, keep-alive) answers every page after 50 ms; each page is a 30 KB
urm.lt page. The first cycle records every page; then 10 % of the pages change and the second
cycle — the one measured — runs as its own process, as cron or an operator would run it.
The pages are spread over ten sites (127.0.0.1 … 127.0.0.10, all loopback), a hundred each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from docwatch.demo.history import urm_page, urm_text

EXE = Path(sys.executable).parent / "docwatch"


class PageServer:
    """HTTP/1.1 keep-alive server on 127.0.0.1 answering /page/N after `latency` seconds."""

    def __init__(self, latency: float, hosts: list[str]):
        self.hosts = hosts
        self.latency = latency
        self.pages: dict[str, bytes] = {}
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

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(self.latency)
                body = self.pages.get(path)
                status = b"200 OK" if body is not None else b"404 Not Found"
                body = body if body is not None else b"not found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8"
                             b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--changed", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--processes", type=int, default=0, help="0: docwatch's default")
    args = ap.parse_args()

    hosts = [f"127.0.0.{k + 1}" for k in range(args.hosts)]
    server = PageServer(args.latency, hosts)
    base, changed = urm_page(urm_text("2023-07-20"), "2023-07-20"), urm_page(
        urm_text("2024-04-02"), "2024-04-02")
    for k in range(args.sources):
        # Each page its own: the source number is part of the text (and of the raw bytes).
        server.pages[f"/page/{k}"] = base.replace(b"</h1>", f" {k}</h1>".encode(), 1)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "docwatch.toml"
        per_host = -(-args.concurrency // args.hosts)
        lines = [f"[fetch]\nconcurrency = {args.concurrency}\nper_host = {per_host}\n"
                 f"processes = {args.processes}\n"]
        lines += [f'[[source]]\nname = "page-{k}"\n'
                  f'url = "http://{hosts[k % len(hosts)]}:{server.port}/page/{k}"\n'
                  for k in range(args.sources)]
        config.write_text("\n".join(lines), encoding="utf-8")
        command = [str(EXE), "--db", str(Path(tmp) / "bench.db"), "--config", str(config),
                   "fetch", "--once"]
        t0 = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        first = time.perf_counter() - t0

        step = round(1 / args.changed)
        for k in range(0, args.sources, step):
            server.pages[f"/page/{k}"] = changed.replace(b"</h1>", f" {k}</h1>".encode(), 1)
        out = Path(tmp) / "out.txt"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with out.open("w") as sink:
            t0 = time.perf_counter()
            proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)  # this process's own CPU and peak RSS
            wall = time.perf_counter() - t0
        everyone = resource.getrusage(resource.RUSAGE_CHILDREN)  # with its worker processes
        changes = sum(1 for line in out.read_text().splitlines()
                      if line.startswith("page-") and " — " in line and " change" in line)
    print(f"{args.sources} sources on {args.hosts} loopback sites, {args.latency * 1000:.0f} ms "
          f"latency, {args.changed:.0%} changed, concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs")
    print(f"first cycle (all new):         wall {first:5.2f} s")
    cpu = (everyone.ru_utime - before.ru_utime) + (everyone.ru_stime - before.ru_stime)
    print(f"measured cycle:                wall {wall:5.2f} s   CPU {cpu:5.2f} s (all processes)   "
          f"exit {os.waitstatus_to_exitcode(status)}   pages reported changed {changes}")
    print(f"peak RSS: main process {usage.ru_maxrss / 1024:.0f} MB, largest process "
          f"{everyone.ru_maxrss / 1024:.0f} MB")
    print(f"latency floor at this concurrency: {args.sources / args.concurrency * args.latency:.2f} s")


if __name__ == "__main__":
    main()
