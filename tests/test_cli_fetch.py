"""`docwatch fetch --once` against pages served on 127.0.0.1 (issue 2, must-show 2 and 4)."""

from __future__ import annotations

import re
import socket

import sqlite_utils
from pytest_httpserver import HTTPServer

from docwatch.demo.history import urm_page, urm_text

from .conftest import run_cli

PATH = "/en/nato/995"


def _config(httpserver: HTTPServer, extra: str = "") -> str:
    return f"""
[[source]]
name = "urm-nato"
url = "{httpserver.url_for(PATH)}"
every = "6h"
{extra}"""


def _serve(httpserver: HTTPServer, body: bytes) -> None:
    httpserver.clear()
    httpserver.expect_request(PATH).respond_with_data(body, content_type="text/html; charset=utf-8")


def test_first_run_records_a_snapshot_then_changes_then_nothing(httpserver, tmp_path, write_config):
    config = write_config(_config(httpserver))
    db = tmp_path / "watch.db"
    _serve(httpserver, urm_page(urm_text("2022-09-01"), "2022-09-01"))

    first = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert first.returncode == 0, first.stderr
    assert "first snapshot recorded" in first.stdout
    # One file an analyst can copy: every connection closed, the write-ahead log folded in.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("watch.db")) == ["watch.db"]
    rows = sqlite_utils.Database(db)
    assert rows["snapshots"].count == 1
    assert rows["changes"].count == 0

    # The page changes (and its furniture too: counter, calendar, Updated line, session ids).
    _serve(httpserver, urm_page(urm_text("2024-04-02"), "2024-04-02"))
    second = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert second.returncode == 0, second.stderr
    categories = {r["category"] for r in rows.query("select category from changes")}
    assert {"revised_figure", "new_entry", "content_removed"} <= categories
    assert "2.5 % → 3 %" in second.stdout
    n_changes = rows["changes"].count

    third = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert third.returncode == 0, third.stderr
    assert "urm-nato: no change" in third.stdout
    assert rows["changes"].count == n_changes
    assert [r["result"] for r in rows.query("select result from fetches order by id")] == [
        "new", "changed", "unchanged"]


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: nothing listens there


def test_a_refused_connection_is_one_line_and_the_other_sources_still_run(
        httpserver, tmp_path, write_config, urm_2022):
    _serve(httpserver, urm_2022)
    port = _refused_port()
    config = write_config(f"""
[[source]]
name = "dead-ministry"
url = "http://127.0.0.1:{port}/en/page"

{_config(httpserver)}""")
    db = tmp_path / "watch.db"
    result = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [f"docwatch: dead-ministry: connection refused by 127.0.0.1:{port}; "
                      "3 attempts [connect]"]
    assert "Traceback" not in result.stderr
    assert "urm-nato: first snapshot recorded" in result.stdout
    rows = sqlite_utils.Database(db)
    fetches = {r["name"]: r for r in rows.query(
        "select sources.name, fetches.* from fetches join sources on sources.id = source_id")}
    assert fetches["dead-ministry"]["result"] == "error"
    assert fetches["dead-ministry"]["error_kind"] == "connect"
    assert fetches["urm-nato"]["result"] == "new"
    assert rows["snapshots"].count == 1


def test_fetch_once_can_name_sources_and_rejects_unknown_ones(httpserver, tmp_path, write_config,
                                                              urm_2022):
    _serve(httpserver, urm_2022)
    config = write_config(_config(httpserver))
    db = tmp_path / "watch.db"
    bad = run_cli("--db", str(db), "--config", str(config), "fetch", "--once", "nope")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "docwatch: config error: unknown source 'nope'; configured: urm-nato"
    good = run_cli("--db", str(db), "--config", str(config), "fetch", "--once", "urm-nato")
    assert good.returncode == 0, good.stderr


def test_changes_lists_what_was_recorded(httpserver, tmp_path, write_config):
    config = write_config(_config(httpserver))
    db = tmp_path / "watch.db"
    for date in ("2022-09-01", "2024-04-02"):
        _serve(httpserver, urm_page(urm_text(date), date))
        assert run_cli("--db", str(db), "--config", str(config), "fetch", "--once").returncode == 0
    import json

    out = run_cli("--db", str(db), "changes", "--json", "--category", "revised_figure")
    changes = json.loads(out.stdout)["changes"]
    assert [c["figures"] for c in changes] == [[{"old": "2.5 %", "new": "3 %"}]]
    assert changes[0]["source"] == "urm-nato"
    text = run_cli("--db", str(db), "changes")
    assert "NEW ENTRY" in text.stdout and "7 March 2024" in text.stdout


def test_fetch_timings_say_where_the_time_went(httpserver, tmp_path, write_config, urm_2022):
    _serve(httpserver, urm_2022)
    config = write_config(_config(httpserver))
    result = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once",
                     "--timings")
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("docwatch: time in ")]
    spent = dict(re.findall(r"(\w+) ([\d.e-]+) s", line))
    assert list(spent) == ["fetch", "parse", "diff", "store"]
    assert float(spent["parse"]) > 0 and float(spent["store"]) > 0


def test_a_fetch_run_loads_neither_httpx_command_line_nor_sqlite_utils(httpserver, tmp_path,
                                                                      write_config):
    """Every cron run pays for what `fetch` imports: httpx's own command line (rich,
    pygments) and sqlite-utils were a fifth of a steady cycle's start, and are not needed."""
    import subprocess
    import sys

    config = write_config(_config(httpserver))
    _serve(httpserver, urm_page(urm_text("2022-09-01"), "2022-09-01"))
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print(sorted(m for m in ('rich', 'pygments', "
              "'sqlite_utils') if m in sys.modules)))\n"
              "from docwatch.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", script, "--db", str(tmp_path / "w.db"),
                           "--config", str(config), "fetch", "--once"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
