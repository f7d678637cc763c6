"""`docwatch demo`: offline, the real pipeline over the bundled history (issue 2, must-show 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from docwatch.demo.history import history

from .conftest import run_cli

SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"
TABLES = {"sources", "fetches", "snapshots", "sections", "changes", "deliveries"}


def test_bundled_history_is_big_enough_and_kam_is_windows_1257():
    versions = history()
    assert sum(v.source == "urm-nato" for v in versions) >= 5
    kam = [v for v in versions if v.source == "kam-non-nato"]
    assert len(kam) >= 3
    assert all(b'charset=windows-1257' in v.body for v in kam)
    assert "Totorių".encode("windows-1257") in kam[0].body
    assert [v.date for v in versions] == sorted(v.date for v in versions)


def test_demo_prints_alerts_and_leaves_a_database(tmp_path):
    result = run_cli("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "NEW ENTRY" in out and "11-12 July 2023" in out
    assert "2.5 % → 3 %" in out
    assert "a site redesign with the same text: no alert\nurm-nato: no change" in out
    assert "sqlite-utils tables demo.db" in out
    db = tmp_path / "demo.db"
    # One file an analyst can copy: every connection closed, the write-ahead log folded in.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("demo.db")) == ["demo.db"]
    tables = subprocess.run([str(SQLITE_UTILS), "tables", str(db)], capture_output=True,
                            text=True, check=True)
    assert TABLES <= {t["table"] for t in json.loads(tables.stdout)}
    rows = sqlite_utils.Database(db)
    # The noise-only kam.lt check and the redesign: a check recorded each, and no version.
    noise = {r["started_at"]: r["snapshot_id"] for r in rows.query(
        "select started_at, snapshot_id from fetches where result = 'noise_only'")}
    assert set(noise) == {"2011-06-15T09:00:00Z", "2025-02-03T09:00:00Z"}
    taken = {r["taken_at"] for r in rows.query("select taken_at from snapshots")}
    assert not taken & set(noise) and all(noise.values())  # each points at the version it was
    sources = {r["url"] for r in rows.query("select url from sources")}
    assert all(u.startswith(("https://www.urm.lt/", "http://www.mond.gov.lt/")) for u in sources)


def test_demo_respects_db_option(tmp_path):
    result = run_cli("--db", str(tmp_path / "other.db"), "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "other.db").exists()
    assert not (tmp_path / "demo.db").exists()
