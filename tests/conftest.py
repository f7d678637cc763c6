"""Shared fixtures: real HTTP servers on 127.0.0.1, real SQLite files, the real CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from docwatch.browser import find_chromium
from docwatch.demo.history import content, kam_page, urm_page

FIXTURES = Path(__file__).parent / "fixtures"
EXE = Path(sys.executable).parent / "docwatch"
#: Whether the browser tests have a Chromium to drive: without one they are skipped, saying so.
HAS_CHROMIUM = os.path.exists(find_chromium() or "")
needs_chromium = pytest.mark.skipif(not HAS_CHROMIUM, reason="no Chromium for the browser tests")


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed `docwatch` console script, as a user would."""
    # Nor the machine's proxies: the tests' servers are on loopback, and a test of proxies
    # names its own.
    full_env = {k: v for k, v in os.environ.items() if k not in ("DOCWATCH_DB", "DOCWATCH_CONFIG")
                and not k.lower().endswith("_proxy")}
    full_env.update(env or {})
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=120)


@pytest.fixture
def urm_2022() -> bytes:
    return urm_page(content("urm-2022.html"), "2022-09-01")


@pytest.fixture
def kam_2011() -> bytes:
    return kam_page(content("kam-2011.html"), "2011-03-31")


@pytest.fixture
def write_config(tmp_path: Path):
    def write(text: str) -> Path:
        path = tmp_path / "docwatch.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def as_schema(conn, version: int) -> None:
    """Take back what the schemas after `version` added, so an upgrade from it can be tested
    on a database this release made (the caller commits)."""
    if version < 12:
        conn.execute("ALTER TABLE changes RENAME COLUMN old_text_inline TO old_text")
        conn.execute("ALTER TABLE changes RENAME COLUMN new_text_inline TO new_text")
    if version < 11:
        conn.execute("ALTER TABLE sources DROP COLUMN seen_hash")
    if version < 10:
        conn.execute("DROP VIEW status_feed")
        conn.execute("DROP TABLE events")
    if version < 9:
        conn.execute("ALTER TABLE passages DROP COLUMN key")
    if version < 8:
        conn.execute("CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN "
                     "INSERT INTO passages_fts (rowid, text) VALUES (new.id, new.text); END")
    if version < 7:
        conn.execute("ALTER TABLE sources DROP COLUMN parent_id")
    if version < 6:
        conn.execute("ALTER TABLE deliveries DROP COLUMN shown_as")
    if version < 5:
        conn.execute("DROP TABLE made_by")
    conn.execute(f"PRAGMA user_version = {version}")


@contextmanager
def serve_datasette(*databases: Path) -> Iterator[str]:
    """`datasette serve` of these databases on a free port; its URL once it says it listens."""
    exe = Path(sys.executable).parent / "datasette"
    proc = subprocess.Popen([str(exe), "serve", *map(str, databases), "-p", "0", "-h", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:  # uvicorn says where it listens once it does
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line, re.IGNORECASE)
            if found:
                yield found[1]
                break
        else:
            pytest.fail("datasette did not start")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def readme_shows(line: str) -> bool:
    """Whether the README or a page of docs/ shows this very line (an example of docwatch's
    output)."""
    root = Path(__file__).parent.parent
    return any(line in page.read_text(encoding="utf-8").splitlines()
               for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))])
