"""Deadlines that hold: a server that trickles its page, or sends half and stalls, ends the
check within a bound, as one `timeout` row. Real CLI, real server, real database."""

from __future__ import annotations

import sqlite3
import time

import pytest

from docwatch.demo.history import urm_page, urm_text

from .conftest import run_cli
from .servers import Response, Server

PAGE = urm_page(urm_text("2023-07-20"), "2023-07-20")


def _headers(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(PAGE)))
    handler.end_headers()


def trickle(server: Server):
    """8 bytes a second, for as long as the client listens: no read ever times out."""
    def answer(handler) -> None:
        _headers(handler)
        try:
            for at in range(0, len(PAGE), 8):
                handler.wfile.write(PAGE[at:at + 8])
                handler.wfile.flush()
                if server.closing.wait(1):
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True
    return answer


def half_then_stall(server: Server):
    """Half the body, then nothing (the connection stays open)."""
    def answer(handler) -> None:
        _headers(handler)
        try:
            handler.wfile.write(PAGE[:len(PAGE) // 2])
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        server.closing.wait(300)
        handler.close_connection = True
    return answer


@pytest.mark.parametrize("fault, says", [(trickle, "the page took over 5 s while the page was arriving"),
                                         (half_then_stall, "the body stalled after")])
def test_a_slow_body_ends_the_check_within_its_deadline_as_one_timeout(
        tmp_path, write_config, fault, says):
    with Server() as server:
        server.put("/page", Response(raw=fault(server)))
        config = write_config(f'[[source]]\nname = "slow"\nurl = "{server.url("/page")}"\n'
                              "timeout = 5\n")
        db = tmp_path / "w.db"
        started = time.monotonic()
        result = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
        took = time.monotonic() - started
        attempts = server.count("/page")
    assert result.returncode == 1
    assert took < 20, took
    assert attempts == 3  # the default two retries, all inside the deadline
    [line] = result.stderr.splitlines()
    assert line.startswith("docwatch: slow: ") and line.endswith("[timeout]")
    assert says in line or "the check's deadline came" in line
    assert line.endswith("; 3 attempts [timeout]") or "within the check's 15 s" in line
    rows = sqlite3.connect(db).execute("SELECT result, error_kind FROM fetches").fetchall()
    assert rows == [("error", "timeout")]


def test_check_deadline_is_configurable_and_cuts_retries_short(tmp_path, write_config):
    with Server() as server:
        server.put("/page", Response(raw=half_then_stall(server)))
        config = write_config("[fetch]\ncheck_deadline = 3\nretries = 5\nbackoff = 0.5\n\n"
                              f'[[source]]\nname = "slow"\nurl = "{server.url("/page")}"\n'
                              "timeout = 2\n")
        started = time.monotonic()
        result = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once")
        took = time.monotonic() - started
        attempts = server.count("/page")
    assert result.returncode == 1 and took < 6, took
    assert attempts == 2  # 2 s, a 0.5 s wait, then 0.5 s left: no third attempt
    assert "2 attempt(s) within the check's 3 s" in result.stderr


def test_a_default_check_deadline_is_at_most_a_minute():
    from docwatch.fetch import Fetcher
    from docwatch.models import FetchSettings

    with Fetcher() as fetcher:
        assert fetcher.deadline(5) == 15  # three timeouts...
        assert fetcher.deadline(30) == 60  # ...but a stalled server holds a run a minute at most
    with Fetcher(FetchSettings(check_deadline=90)) as fetcher:
        assert fetcher.deadline(30) == 90  # unless the config says otherwise
