"""The analyst's surfaces: the notebook API, commands that cannot hurt, words that match what
the analyst saw, alerts and the feed, a history one can read. Real CLI, real files."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from docwatch.demo.replay import run_demo
from docwatch.demo.history import history
from docwatch.models import Source
from docwatch.pipeline import check_all
from docwatch.store import Store

from .conftest import as_schema, run_cli, serve_datasette
from .servers import Server

ROOT = Path(__file__).parent.parent
PYTHON_PAGE = (ROOT / "docs/python.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    return db


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


# --- the notebook API -------------------------------------------------------------------

PAGES = """
from docwatch.demo.history import history
urm = [v.body for v in history() if v.source == "urm-nato"]
old, new = urm[2], urm[3]
"""


@pytest.mark.parametrize("first", ["import docwatch.parsing, docwatch.diffing", "",
                                   "from docwatch import parse", "import docwatch.store"])
def test_parse_and_diff_stay_functions_whatever_was_imported_first(tmp_path, first):
    code = first + "\n" + PAGES + """
import docwatch
for _ in range(2):
    a = docwatch.diff(old, new)
    d = docwatch.parse(new)
    b = docwatch.diff(old, new)
    assert callable(docwatch.parse) and callable(docwatch.diff)
    assert a == b and a and d.sections
print(len(a))
"""
    result = _python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 1


def test_readme_python_examples_run_as_written_twice_in_either_order(tmp_path, demo_db):
    blocks = re.findall(r"```python\n(.+?)\n```", PYTHON_PAGE, re.DOTALL)
    assert blocks, "docs/python.md shows the Python API"
    (tmp_path / "demo.db").write_bytes(demo_db.read_bytes())
    urm = [v.body for v in history() if v.source == "urm-nato"]
    (tmp_path / "old.html").write_bytes(urm[2])
    (tmp_path / "new.html").write_bytes(urm[3])
    for order in (blocks, blocks[::-1]):
        script = "\n".join(order + order)
        result = _python(script, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "revised_figure" in result.stdout


def test_store_is_a_context_manager(tmp_path):
    import docwatch

    with docwatch.open_store(tmp_path / "x.db") as store:
        assert store.source_names() == []
    with pytest.raises(sqlite3.ProgrammingError):
        store.source_names()  # closed on leaving the block


# --- commands that cannot hurt ----------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_refuses_a_database_it_did_not_make_and_replaces_its_own(tmp_path):
    prod = tmp_path / "prod.db"
    with Store(prod) as store:
        check_all([Source("local", "http://127.0.0.1:9/")], store, deliver=False)
    before = _digest(prod)
    refused = run_cli("demo", cwd=tmp_path, env={"DOCWATCH_DB": str(prod)})
    assert refused.returncode == 2
    assert refused.stderr.strip() == (f"docwatch: {prod}: exists and was not made by `docwatch "
                                      "demo`; it is left alone (give the demo another path: "
                                      "--db demo.db)")
    assert _digest(prod) == before
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    assert run_cli("demo", "--db", str(text), cwd=tmp_path).returncode == 2
    assert text.read_text() == "not a database"

    made = run_cli("demo", "--db", "mine.db", cwd=tmp_path)  # as users type it
    assert made.returncode == 0, made.stderr
    again = run_cli("demo", "--db", "mine.db", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    with Store(tmp_path / "mine.db") as store:
        assert store.count("snapshots") == 9  # replaced, not added to


READ_ONLY = [("changes",), ("history", "urm-nato"), ("show", "urm-nato"), ("feed",),
             ("sources",), ("reparse",)]


@pytest.mark.parametrize("command", READ_ONLY, ids=[c[0] for c in READ_ONLY])
def test_read_only_commands_never_create_a_database_at_a_mistyped_path(tmp_path, command):
    typo = tmp_path / "docwach.db"
    result = run_cli("--db", str(typo), *command, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"docwatch: {typo}: no docwatch database there (check --db or DOCWATCH_DB; "
        "`docwatch fetch --once` makes one)"]
    assert not typo.exists() and list(tmp_path.iterdir()) == []


def test_sources_without_a_database_yet_lists_the_configured_pages(tmp_path):
    result = run_cli("sources", cwd=tmp_path)
    assert result.returncode == 0
    assert "never checked" in result.stdout and not list(tmp_path.iterdir())
    assert result.stderr.strip() == ("docwatch: no docwatch.toml here (or --config): watching "
                                     "the built-in ministry pages (urm-nato, kam-non-nato)")


@pytest.mark.parametrize("value", ["2024-3-1", "yesterday", "2024-02-30", "03/01/2024", "7 days"])
@pytest.mark.parametrize("command", [("changes", "--since"), ("show", "urm-nato", "--at")])
def test_since_and_at_take_dates_times_and_ages_and_reject_the_rest(demo_db, command, value):
    result = run_cli("--db", str(demo_db), *command, value)
    assert result.returncode == 2
    assert f"{value!r} is not a date (2024-03-01), an ISO time" in result.stderr


def test_since_and_at_read_dates_times_and_ages(demo_db):
    def changes(since: str) -> list[dict]:
        out = run_cli("--db", str(demo_db), "changes", "--json", "--since", since)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["changes"]

    assert len(changes("2025-07-01")) == len(changes("2025-07-01T09:00")) == 4
    assert changes("2025-07-01T09:00:01") == []
    assert changes("30d") == []  # the demo's last version is of July 2025
    assert len(changes("2025-06-30T12:00+03:00")) == 4  # an offset is read as one

    def snapshot(at: str) -> int:
        out = run_cli("--db", str(demo_db), "show", "urm-nato", "--json", "--at", at)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["snapshot_id"]

    first, second = snapshot("2022-09-01"), snapshot("2023-04-12")
    assert snapshot("2023-04-12T09:00") == second  # a check at that very minute counts
    assert snapshot("2023-04-12T08:59") == first
    assert snapshot("2023-04-11") == first
    assert snapshot(str(first)) == first


@pytest.mark.parametrize("command", [("changes", "--source", "nope"), ("feed", "-s", "nope"),
                                     ("history", "nope"), ("show", "nope"), ("reparse", "nope")])
def test_an_unknown_source_is_a_usage_error_everywhere(demo_db, command):
    result = run_cli("--db", str(demo_db), *command)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"docwatch: nope: unknown source in {demo_db} "
                                      "(it has: kam-non-nato, urm-nato)")


def test_a_database_in_a_missing_or_unwritable_directory_says_so(tmp_path):
    missing = run_cli("--db", str(tmp_path / "no" / "such" / "x.db"), "fetch", "--once")
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == (
        f"docwatch: {tmp_path}/no/such/x.db: the directory {tmp_path}/no/such does not exist")
    # /sys refuses new files even to root (a chmod'ed directory would not stop root)
    unwritable = run_cli("--db", "/sys/docwatch.db", "fetch", "--once")
    assert unwritable.returncode == 2
    assert unwritable.stderr.splitlines()[-1].startswith(
        "docwatch: /sys/docwatch.db: cannot create a file in /sys (")


def test_limits_below_one_are_usage_errors(demo_db):
    assert run_cli("--db", str(demo_db), "changes", "-n", "0").returncode == 2
    assert run_cli("--db", str(demo_db), "feed", "-n", "-3").returncode == 2


# --- one meaning of "changed" -----------------------------------------------------------


def _page(counter: int, share: str = "2.5") -> bytes:
    return (f"<html><body><h1>Defence</h1><p>Spending will reach {share} % of GDP.</p>"
            f"<p>Visitors today: {counter}</p></body></html>").encode()


def test_check_results_say_new_changed_noise_only_and_unchanged(tmp_path, write_config):
    with Server() as site:
        config = write_config(f'[[source]]\nname = "page"\nurl = "{site.url("/p")}"\n')
        db = tmp_path / "w.db"
        seen = []
        for body in (_page(1), _page(2), _page(2), _page(3, "3")):
            site.put("/p", body)
            out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
            assert out.returncode == 0, out.stderr
            seen.append(out.stdout.splitlines()[0])
            status = run_cli("--db", str(db), "--config", str(config), "sources").stdout
            seen.append(status.splitlines()[1].split()[6])
    assert seen[0::2][:3] == ["page: first snapshot recorded",
                              "page: no change (only counters, dates or markup differed)",
                              "page: no change"]
    assert seen[1::2] == ["new", "noise_only", "unchanged", "changed"]
    log = sqlite3.connect(db).execute("SELECT result FROM check_log ORDER BY id").fetchall()
    assert [r for r, in log] == ["new", "noise_only", "unchanged", "changed"]


def test_the_migration_renames_noise_only_checks_of_older_databases(tmp_path):
    db = tmp_path / "old.db"
    with Server() as site:
        with Store(db) as store:
            for body in (_page(1), _page(2)):
                site.put("/p", body)
                check_all([Source("page", site.url("/p"))], store, deliver=False)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE fetches SET result = 'changed' WHERE result = 'noise_only'")
    as_schema(conn, 4)
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert [r["result"] for r in store.db.query("SELECT result FROM fetches ORDER BY id")] \
            == ["new", "noise_only"]


def test_the_changes_table_has_no_text_columns_that_read_empty(demo_db, tmp_path):
    """`changes.old_text`/`new_text` were NULL wherever the text is a stored passage, which is
    nearly every row: they are `*_text_inline` now, and `change_feed` reads the texts."""
    db = tmp_path / "old.db"
    db.write_bytes(demo_db.read_bytes())
    conn = sqlite3.connect(db)
    as_schema(conn, 11)
    conn.commit()
    empty = conn.execute("SELECT count(*) FROM changes WHERE new_text IS NULL "
                         "AND new_passage_id IS NOT NULL").fetchone()[0]
    assert empty > 10  # what an analyst's query of the table found before
    feed = conn.execute("SELECT * FROM change_feed ORDER BY id").fetchall()
    conn.close()
    before = run_cli("--db", str(db), "changes", "--all", "--json")  # upgrades it
    assert before.returncode == 0, before.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 12
    with pytest.raises(sqlite3.OperationalError, match="no such column: new_text"):
        conn.execute("SELECT count(*) FROM changes WHERE new_text IS NULL "
                     "AND new_passage_id IS NOT NULL")
    assert conn.execute("SELECT count(*) FROM changes WHERE new_text_inline IS NULL "
                        "AND new_passage_id IS NULL AND kind != 'removed'").fetchone()[0] == 0
    assert conn.execute("SELECT * FROM change_feed ORDER BY id").fetchall() == feed
    assert conn.execute("SELECT count(*) FROM changes_fts WHERE changes_fts MATCH 'Sweden'"
                        ).fetchone()[0] > 0  # the index's triggers read the renamed columns
    conn.close()
    assert json.loads(before.stdout) == json.loads(
        run_cli("--db", str(demo_db), "changes", "--all", "--json").stdout)


@pytest.mark.parametrize("args", [
    ["changes", "--all", "--status"], ["sources"], ["history", "urm-nato"],
    ["history", "kam-non-nato", "--text"], ["show", "urm-nato", "--at", "2023-01-01"],
    ["show", "kam-non-nato"], ["changes", "--json", "--all"], ["feed"],
])
def test_no_command_prints_a_python_none(demo_db, args):
    out = run_cli("--db", str(demo_db), *args)
    assert out.returncode == 0, out.stderr
    assert not re.search(r"\bNone\b", out.stdout), [
        line for line in out.stdout.splitlines() if "None" in line][:3]


# --- the feed and history ---------------------------------------------------------------


def test_feed_entries_name_their_source_and_category_and_the_feed_links_no_one_page(demo_db):
    out = run_cli("--db", str(demo_db), "feed")
    feed = feedparser.parse(out.stdout)
    assert not [link for link in feed.feed.get("links", []) if link.get("rel") == "alternate"]
    sources = {e.title.split(" · ")[0] for e in feed.entries}
    assert sources == {"urm-nato", "kam-non-nato"}
    terms = {t.term for e in feed.entries for t in e.tags}
    assert {"new_entry", "revised_figure", "content_removed"} <= terms
    one = feedparser.parse(run_cli("--db", str(demo_db), "feed", "-s", "kam-non-nato").stdout)
    assert one.feed.link.startswith("http://www.mond.gov.lt/")


def test_history_shows_entry_dates_and_locators(demo_db):
    out = run_cli("--db", str(demo_db), "history", "urm-nato").stdout
    assert '+ NEW ENTRY › 4 April 2023: "Finland joined NATO' in out
    assert '- REMOVED › item 4: "Continue participation in NATO operations' in out
    assert "~ FIGURE › ¶3: " in out


def test_history_shows_times_when_two_versions_fall_on_one_day(tmp_path, write_config):
    with Server() as site:
        db = tmp_path / "w.db"
        with Store(db) as store:
            for k, (at, share) in enumerate([("2025-03-01T08:00:00Z", "2"),
                                             ("2025-03-02T07:15:00Z", "2.5"),
                                             ("2025-03-02T18:40:00Z", "3")]):
                site.put("/p", _page(k, share))
                check_all([Source("page", site.url("/p"))], store, clock=lambda at=at: at,
                          deliver=False)
    out = run_cli("--db", str(db), "history", "page").stdout
    heads = [line.split("  ")[0] for line in out.splitlines() if "→" in line]
    assert heads == ["2025-03-01 → 2025-03-02 07:15", "2025-03-02 07:15 → 2025-03-02 18:40",
                     "2025-03-02 18:40 → now"]


# --- a newcomer's README ----------------------------------------------------------------


def test_the_demo_hints_call_commands_by_a_path_that_works(tmp_path):
    out = run_cli("demo", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}).stdout
    hints = [line.strip() for line in out.splitlines() if line.startswith("  ")
             and "demo.db" in line]
    assert len(hints) >= 4
    bindir = Path(sys.executable).parent
    for hint in hints:
        program = Path(hint.split()[0])
        assert (tmp_path / program).resolve().parent == bindir.resolve(), hint
    for hint in hints:  # each runs as shown, with nothing added to PATH
        result = subprocess.run(hint, shell=True, cwd=tmp_path, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin"}, timeout=60)
        assert result.returncode == 0, (hint, result.stderr)


def test_readme_says_how_to_reach_the_installed_commands():
    cookbook = (ROOT / "docs/cookbook.md").read_text(encoding="utf-8")
    assert "source .venv/bin/activate" in cookbook.split("```bash")[0]


# --- Datasette, started as analysts start it --------------------------------------------


@pytest.fixture(scope="module")
def datasette_url(demo_db):
    with serve_datasette(demo_db) as url:
        yield url


def _get(url: str) -> tuple[int, str]:
    import httpx

    response = httpx.get(url, timeout=30)
    return response.status_code, response.text


def test_datasette_change_feed_renders_the_word_diff_escaped_and_excerpts(datasette_url):
    status, page = _get(f"{datasette_url}/demo/change_feed?category=revised_figure")
    assert status == 200
    assert "<del" in page and ">2.5<" in page and "<ins" in page and ">3<" in page
    assert "[[&#34;=&#34;" not in page and '[["="' not in page and "[[&quot;=&quot;" not in page
    # the long texts are excerpts, not 2,000-character paragraphs
    longest = max(len(m) for m in re.findall(r'<td class="col-old_text[^"]*">(.*?)</td>', page,
                                               re.DOTALL))
    assert longest < 400
    status, figures = _get(f"{datasette_url}/demo/revised_figures")
    assert status == 200 and "2.5 % → 3 %" in figures


def test_datasette_lists_the_views_first_by_title(datasette_url):
    status, page = _get(f"{datasette_url}/demo")
    assert status == 200
    start = page.index("Start here")
    assert start < page.index("Change feed") < page.index('href="/demo/sources"')
    assert "Check log" in page[start:page.index('href="/demo/sources"')]


@pytest.mark.parametrize("query, expected", [
    ("new_entries_since?since=2024-3-1", "since: '2024-3-1' is not a date (2024-03-01)"),
    ("failed_checks_since?since=yesterday", "since: 'yesterday' is not a date"),
    ("search_history?q=NATO+AND", "is not a search FTS5 understands"),
    ("search_history?q=%22Sweden", "quotes must pair"),
])
def test_datasette_canned_queries_reject_bad_values_with_a_hint(datasette_url, query, expected):
    status, page = _get(f"{datasette_url}/demo/{query}")
    assert status == 400
    assert expected.replace("'", "&#x27;") in page
    assert "syntax error" not in page


def test_datasette_canned_queries_read_since_as_the_cli_does(datasette_url):
    rows = json.loads(_get(f"{datasette_url}/demo/new_entries_since.json?since=2025-07-01"
                           "&_shape=array")[1])
    assert len(rows) == 3
    assert json.loads(_get(f"{datasette_url}/demo/new_entries_since.json?since=7d"
                           "&_shape=array")[1]) == []
    found = json.loads(_get(f"{datasette_url}/demo/search_history.json?q=Sweden&_shape=array")[1])
    assert found and all("Sweden" in r["text"] for r in found)


def test_connection_errors_read_without_http_library_internals(tmp_path, write_config):
    config = write_config('[[source]]\nname = "nowhere"\nurl = "http://docwatch-test.invalid/p"\n')
    result = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "docwatch: nowhere: host name not found: docwatch-test.invalid [dns]"]
