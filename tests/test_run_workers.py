"""`docwatch run` with many sources observes in worker processes (issue 39): forked at its
start, they live as long as it does, end with it, and a worker that dies leaves the run
checking. A real process, real signals, a real HTTP server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from docwatch.pipeline import PROCESS_MIN_SOURCES

from .daemon import Run
from .servers import Server

N = PROCESS_MIN_SOURCES  # the fewest sources a run forks workers for


def page(k: int, extra: str = "") -> bytes:
    return (f"<html lang='en'><body><main><h1>Page {k}</h1><p>The ministry's notice {k} "
            f"stands as published.</p>{extra}</main></body></html>").encode()


@pytest.fixture
def server():
    with Server() as s:
        for k in range(N):
            s.put(f"/p{k}", page(k))
        yield s


def config(server: Server) -> str:
    return ('[run]\ncatch_up = "1s"\nheartbeat = "1s"\ngrace = "5s"\n'
            '[fetch]\nprocesses = 2\n' + "".join(
                f'[[source]]\nname = "p{k}"\nurl = "{server.url(f"/p{k}")}"\nevery = "2s"\nrobots = false\n'
                for k in range(N)))


def children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()]


def test_many_sources_are_observed_in_workers_that_end_with_the_run(server, tmp_path):
    run = Run(tmp_path, config(server))
    try:
        for k in range(N):
            server.wait(f"/p{k}", 2)  # every page checked, and checked again
        workers = children(run.proc.pid)
        assert len(workers) == 2
        server.put("/p7", page(7, "<p>A new notice: the summit moves to Vilnius.</p>"))
        [changed] = run.wait("check", source="p7", result="changed")
        assert changed["alerts"] == 1
        assert not run.of("check", result="error")
    finally:
        code = run.stop(timeout=15)  # the workers see their pipes close and end
    assert code == 0
    assert run.of("stopped")[-1]["abandoned"] == []
    assert not [p for p in workers if Path(f"/proc/{p}").exists()
                and "zombie" not in Path(f"/proc/{p}/status").read_text()]


def test_a_worker_that_dies_fails_its_checks_and_the_run_goes_on(server, tmp_path):
    run = Run(tmp_path, config(server))
    try:
        for k in range(N):
            server.wait(f"/p{k}", 1)
        first, second = children(run.proc.pid)
        os.kill(first, signal.SIGKILL)
        [gone] = run.wait("worker_ended")
        assert gone["exitcode"] == -9 and gone["workers_left"] == 1
        assert gone["message"].startswith("a worker process ended (exit -9) with ")
        done = {k: server.count(f"/p{k}") for k in range(N)}
        for k in range(N):
            server.wait(f"/p{k}", done[k] + 1)  # every page is checked again: the other worker
        server.put("/p3", page(3, "<p>A new notice: the talks resume.</p>"))
        run.wait("check", source="p3", result="changed")
        assert children(run.proc.pid) == [second]
    finally:
        assert run.stop(timeout=15) == 0


@pytest.mark.parametrize("per_host", [1, 4])
def test_the_workers_together_keep_to_per_host(server, tmp_path, per_host):
    """Two workers and one site: `per_host` 4 is shared (2 each); 1 cannot be, so the site
    is one worker's. Every answer takes 0.1 s, so requests that overlap are seen."""
    from .servers import Response

    for k in range(N):
        server.put(f"/p{k}", Response(page(k), delay=0.1))
    run = Run(tmp_path, config(server).replace("processes = 2\n",
                                               f"processes = 2\nper_host = {per_host}\n"))
    try:
        with server.changed:
            assert server.changed.wait_for(
                lambda: sum(map(len, server.requests.values())) >= 4 * per_host + 8, 30)
        assert len(children(run.proc.pid)) == 2
        assert server.max_in_flight_total <= per_host
    finally:
        assert run.stop(timeout=15) == 0
