"""Pathological pages through the real pipeline, under a memory cap: each is recorded, or
refused with a kind of its own, in one line; nothing hangs and nothing else is lost.

Times and peak memory per page are `bench/pathological.py`'s to measure (README, reliability
notes); here the cap and the subprocess timeout only catch a runaway."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess

from .conftest import EXE, run_cli
from .pathological import PAGES, nested
from .servers import Server

MEMORY_CAP = 2 * 1024 ** 3  # address space: a runaway fails instead of swapping the machine


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def test_pathological_pages_are_recorded_or_refused_with_their_kind(tmp_path, write_config):
    with Server() as site:
        for name, make in PAGES.items():
            site.put(f"/{name}", make())
        site.put("/fine", b"<html><body><h1>Fine</h1><p>An ordinary page.</p></body></html>")
        config = write_config("[fetch]\nprocesses = 1\n\n" + "".join(
            f'[[source]]\nname = "{name}"\nurl = "{site.url("/" + name)}"\ntimeout = 60\n'
            for name in [*PAGES, "fine"]))
        db = tmp_path / "w.db"
        result = subprocess.run([str(EXE), "--db", str(db), "--config", str(config), "fetch",
                                 "--once"], capture_output=True, text=True, timeout=300,
                                preexec_fn=_capped)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "docwatch: nested: elements nested over 2,048 deep: the HTML parser stops there, and "
        "what is below would be lost [too_deep]"]
    conn = sqlite3.connect(db)
    results = dict(conn.execute("SELECT source, result FROM check_log"))
    assert results == {"nested": "error", "one_line": "new", "paragraphs": "new",
                       "table": "new", "numbered": "new", "forms": "new", "fine": "new"}
    passages = dict(conn.execute("SELECT sources.name, count(*) FROM passages JOIN sources "
                                 "ON sources.id = passages.source_id GROUP BY 1"))
    assert passages["paragraphs"] == 200_000 and passages["table"] == 50_000
    assert passages["numbered"] == 200_000 and passages["forms"] == 50_001  # and its header
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_page_nested_below_the_parser_s_limit_but_deeper_than_python_s_is_read(tmp_path):
    # libxml2 reads 2,048 levels; the walks over the tree recurse a few frames a level, and
    # from 1,000 levels on a page used to end in a RecursionError traceback.
    old, new = tmp_path / "old.html", tmp_path / "new.html"
    old.write_bytes(nested(1_500))
    new.write_bytes(nested(1_500).replace(b"2.5", b"3"))
    out = run_cli("diff", str(old), str(new), "--json")
    assert out.returncode == 0, out.stderr
    [change] = json.loads(out.stdout)["changes"]
    assert change["category"] == "revised_figure" and change["new_text"] == "Deep text: 3 %"
