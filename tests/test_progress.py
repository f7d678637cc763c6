"""Long runs talk: `fetch --once` of 300 pages on a pseudo-terminal, piped, and stopped with
Ctrl-C. Real CLI, real server with latency, a real terminal device."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import sqlite3
import subprocess
import time

import pytest

from .conftest import EXE, run_cli
from .servers import Response, Server

PAGES = 300
SUMMARY = re.compile(r"^(\d+) checked · (?:(\d+) new · )?(?:(\d+) changed · )?(\d+) failed · "
                     r"[\d.]+ s$", re.MULTILINE)


def _page(k: int) -> bytes:
    return (f"<html><head><title>Page {k}</title></head><body><h1>Statement {k}</h1>"
            f"<p>Defence spending will reach 2.5 % of GDP by 2030.</p></body></html>").encode()


@pytest.fixture
def many(write_config):
    with Server() as site:
        for k in range(PAGES):
            site.put(f"/p/{k}", Response(_page(k), delay=0.3))
        sources = "".join(f'[[source]]\nname = "p{k:03}"\nurl = "{site.url(f"/p/{k}")}"\n'
                          for k in range(PAGES))
        yield site, write_config("[fetch]\nper_host = 60\nretries = 0\n\n" + sources)


def _on_terminal(args: list[str], *, until: re.Pattern | None = None,
                 then=None, timeout: float = 120) -> tuple[str, int]:
    """Run `docwatch` with a pseudo-terminal as its stdout and stderr; all it wrote, and its
    exit code. When `until` first matches the output, call `then(process)`."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("DOCWATCH_DB", "DOCWATCH_CONFIG")}
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
    proc = subprocess.Popen([str(EXE), *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    out, deadline, fired = b"", time.monotonic() + timeout, False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            out += chunk
            if until is not None and not fired and until.search(out.decode("utf-8", "replace")):
                fired = True
                then(proc)
        code = proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return out.decode("utf-8", "replace").replace("\r\n", "\n"), code


def _plain(out: str) -> str:
    """What a terminal's lines say, without colours, cursor moves and carriage returns."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out).replace("\r", "\n")


def test_on_a_terminal_a_progress_bar_counts_the_checks_and_a_summary_ends_the_run(
        many, tmp_path):
    site, config = many
    db = tmp_path / "w.db"
    out, code = _on_terminal(["--db", str(db), "--config", str(config), "fetch", "--once"])
    assert code == 0, out
    plain = _plain(out)
    assert "━" in plain and re.search(rf"\b{PAGES}/{PAGES}\b", plain)  # rich's bar, then full
    assert re.search(r"\b\d{1,2}/300\b", plain)  # and counting on the way
    [summary] = SUMMARY.findall(plain)
    assert summary[:2] == ("300", "300") and summary[3] == "0"
    # new pages have nothing to tell: none is listed (-v lists them)
    assert "first snapshot recorded" not in plain
    assert sqlite3.connect(db).execute("SELECT count(*) FROM fetches").fetchone()[0] == PAGES


def test_piped_every_page_gets_a_plain_line_and_the_summary_comes_last(many, tmp_path):
    site, config = many
    out = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == PAGES + 1 and "━" not in out.stdout and "\x1b" not in out.stdout
    assert all(line.endswith(": first snapshot recorded") for line in lines[:-1])
    assert SUMMARY.fullmatch(lines[-1]).groups()[:2] == ("300", "300")


def test_ctrl_c_stops_starting_checks_and_sums_up_what_was_recorded(many, tmp_path):
    site, config = many
    db = tmp_path / "w.db"
    out, code = _on_terminal(
        ["--db", str(db), "--config", str(config), "fetch", "--once"],
        until=re.compile(r"\b(?:[3-9]\d|1\d\d)(?:\x1b\[[0-9;]*m)*/300\b"),  # 30 or more done
        then=lambda proc: os.killpg(proc.pid, signal.SIGINT))  # as a terminal's Ctrl-C does
    assert code == 130, out
    plain = _plain(out)
    assert "Aborted!" not in plain and "Traceback" not in plain
    found = re.search(r"interrupted: (\d+) of 300 checked and recorded · (\d+) new · 0 failed",
                      plain)
    assert found, plain[-2000:]
    recorded = sqlite3.connect(db).execute("SELECT count(*) FROM fetches").fetchone()[0]
    assert int(found[1]) == int(found[2]) == recorded
    assert 30 <= recorded < PAGES
