"""A change in context without a browser: where each kind of change is marked on pages of
other shapes than the demo's, what the sanitizer keeps, the CLI's `show --html`, and the
Datasette routes' answers to bad requests."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from docwatch.demo.replay import run_demo
from docwatch.diffing import diff
from docwatch.parsing import parse
from docwatch.store import Store, StoreError
from docwatch.web.incontext import mark, sanitize

from .conftest import as_schema, run_cli, serve_datasette

URL = "https://ministerija.example.lt/veikla/apie"


def _marked(old: str, new: str, **kwargs):
    before, after = parse(old.encode(), url=URL), parse(new.encode(), url=URL)
    changes = diff(before, after)
    assert changes, "the pages differ"
    marked = mark(new.encode(), list(enumerate(changes, 1)), url=URL, previous=before, **kwargs)
    return changes, marked, lxml_html.fromstring(f"<div>{marked.html}</div>")


def _page(body: str, lang: str = "lt") -> str:
    return f"<html lang='{lang}'><head><title>T</title></head><body><main>{body}</main></body></html>"


def test_a_revision_inside_links_and_emphasis_marks_only_its_words():
    old = _page("<h1>Biudžetas</h1><p>Gynybai skiriama <b><a href='/a'>2,52</a> proc.</b> BVP, "
                "o <i>sveikatai</i> – 7 proc.</p><p>Kita pastraipa.</p>")
    new = old.replace("2,52", "3,03").replace("7 proc.", "6,5 proc.")
    changes, marked, tree = _marked(old, new)
    assert marked.located == {1}
    assert [e.text for e in tree.iter("ins")] == ["3,03", "6,5"]
    assert [e.text for e in tree.iter("del")] == ["2,52", "7"]
    link = tree.find(".//a")
    assert link.get("href") == "https://ministerija.example.lt/a"  # to the original site
    assert link.find("ins").text == "3,03"  # the mark sits inside the page's own link
    assert tree.xpath("//p[contains(@class, 'dw-changed')]")[0].text_content().count("Kita") == 0


def test_a_removed_row_goes_back_into_its_table_where_it_stood():
    rows = [("A-1", "Pirmas"), ("A-2", "Antras"), ("A-3", "Trečias")]
    table = lambda rs: _page("<h2>Registras</h2><table><tr><th>Kodas</th><th>Pavadinimas</th></tr>"
                             + "".join(f"<tr><td>{k}</td><td>{t}</td></tr>" for k, t in rs)
                             + "</table><p>Pabaiga.</p>")
    changes, marked, tree = _marked(table(rows), table([rows[0], rows[2]]))
    assert [c.category for c in changes] == ["removed_entry"]
    cells = [tr.text_content() for tr in tree.iter("tr")]
    assert "A-2" in cells[2] and "Antras" in cells[2]  # between, as before
    gone = [tr for tr in tree.iter("tr") if "dw-removed" in (tr.get("class") or "")]
    assert len(gone) == 1 and gone[0].find(".//del") is not None
    assert gone[0].find("td").get("colspan") == "2"


def test_a_removed_first_paragraph_returns_under_its_heading_not_above_it():
    old = _page("<h2>Pirmas</h2><p>Viena.</p><h2>Antras</h2><p>Dingusi pastraipa apie NATO.</p>"
                "<p>Lieka.</p>")
    new = old.replace("<p>Dingusi pastraipa apie NATO.</p>", "")
    _, marked, tree = _marked(old, new)
    order = [el.tag + ":" + el.text_content()[:10] for el in tree.iter("h2", "div", "p")
             if el.tag != "div" or "dw-removed" in (el.get("class") or "")]
    assert order.index("h2:Antras") < [o[:3] for o in order].index("div") < order.index("p:Lieka.")


def test_a_new_entry_in_a_dated_list_is_outlined_with_its_badge():
    old = _page("<h2>Naujienos</h2><ul><li>2025 m. kovo 3 d. Ministras lankėsi Vilniuje.</li>"
                "<li>2025 m. vasario 12 d. Prasidėjo pratybos.</li></ul>")
    new = old.replace("<ul>", "<ul><li>2025 m. balandžio 1 d. Pasirašytas susitarimas su "
                      "Lenkija.</li>")
    changes, marked, tree = _marked(old, new)
    assert [c.category for c in changes] == ["new_entry"]
    [item] = tree.xpath("//li[contains(@class, 'dw-added')]")
    assert "Lenkija" in item.text_content()
    assert item.find("span").text == "New entry" and item.find("span").get("autofocus") is not None
    assert tree.xpath("count(//*[@autofocus])") == 1


def test_the_focus_goes_to_the_change_asked_for():
    old = _page("<p>Pirmas sakinys apie gynybą.</p><p>Antras sakinys apie biudžetą.</p>")
    new = old.replace("gynybą", "saugumą").replace("biudžetą", "finansus")
    changes, marked, tree = _marked(old, new, focus=2)
    [focused] = tree.xpath("//*[@autofocus]")
    assert focused.get("id") == "change-2" and focused.text == "biudžetą"  # its first mark
    assert "Antras" in focused.getparent().text_content()


def test_a_change_whose_words_are_not_on_the_page_is_said_to_be_missing():
    page = _page("<p>Tekstas, kurio pakeitimas čia nerodomas.</p>").encode()
    [change] = diff(parse(_page("<p>Senas tekstas.</p>").encode()),
                    parse(_page("<p>Visai kitas tekstas apie orą.</p>").encode()))
    marked = mark(page, [(7, change)], url=URL)
    assert marked.located == set() and "dw-" not in marked.html


def test_the_sanitizer_keeps_document_markup_and_nothing_that_can_act():
    dirty = ('<div class="x dw-added" id="a" onclick="go()" style="color:red">'
             '<a href="javascript:alert(1)">a</a><a href="https://e.org/x" target="_top">b</a>'
             '<img src="https://e.org/i.png" onerror="alert(2)"><iframe src="https://e.org"></iframe>'
             '<form action="https://e.org"><input name="q"></form><svg onload="alert(3)"></svg>'
             '<object data="x.swf"></object><script>alert(4)</script><style>p{}</style>'
             '<table><tr><td colspan="2">c</td></tr></table><ins>i</ins></div>')
    clean = sanitize(dirty)
    for gone in ("onclick", "onerror", "onload", "javascript:", "<iframe", "<form", "<input",
                 "<svg", "<object", "<script", "<style", "alert(", "style=", 'class="x',
                 "target="):
        assert gone not in clean, gone
    for kept in ('class="dw-added"', 'href="https://e.org/x"', 'colspan="2"', "<ins>i</ins>",
                 'src="https://e.org/i.png"', 'rel="noopener noreferrer nofollow"'):
        assert kept in clean, kept


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("incontext") / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    return db


def _figure_change(db: Path) -> int:
    return sqlite3.connect(db).execute(
        "SELECT min(id) FROM changes WHERE category = 'revised_figure'").fetchone()[0]


def test_show_html_writes_one_self_contained_page_without_scripts(demo_db, tmp_path):
    change_id = _figure_change(demo_db)
    out = run_cli("--db", str(demo_db), "show", "urm-nato", "--change", str(change_id), "--html",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    page = out.stdout
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert "script-src" not in page and "default-src &#39;none&#39;" in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert re.search(r'<del id="change-\d+"[^>]*autofocus[^>]*>2\.5</del>', page)
    assert "<ins>3</ins>" in page
    assert "Next change" not in page  # no server to link to: no links to other views
    assert list(tmp_path.iterdir()) == []  # a read-only command writes nothing


@pytest.mark.parametrize("args, expected", [
    (["--change", "99999"], "--change 99999: no change of urm-nato"),
    (["--change", "1"], "--change 1: no change of urm-nato"),  # change 1 is kam-non-nato's
    (["--change", "0"], "--change"),
    (["--change", "3", "--at", "2024-01-01"], "--change, --at: give one"),
    (["--json", "--html"], "--json, --html: give one"),
])
def test_show_html_rejects_a_change_it_cannot_show(demo_db, args, expected):
    out = run_cli("--db", str(demo_db), "show", "urm-nato", "--html", *args)
    assert out.returncode == 2 and expected in out.stderr and out.stdout == ""


def test_show_html_links_to_the_other_views_behind_base_url(demo_db, tmp_path):
    config = tmp_path / "docwatch.toml"
    config.write_text('[run]\nbase_url = "https://dw.example.org"\n[[source]]\nname = "urm-nato"\n'
                      'url = "https://www.urm.lt/"\n', encoding="utf-8")
    change_id = _figure_change(demo_db)
    out = run_cli("--db", str(demo_db), "--config", str(config), "show", "urm-nato",
                  "--change", str(change_id), "--html")
    assert out.returncode == 0, out.stderr
    links = re.findall(r'href="(https://dw\.example\.org/[^"]+)"', out.stdout)
    assert "https://dw.example.org/-/docwatch/demo" in links
    assert any(re.fullmatch(r"https://dw\.example\.org/-/docwatch/demo/changes/\d+", u) for u in links)
    assert any("/snapshots/" in u for u in links)


@pytest.fixture(scope="module")
def served(demo_db, tmp_path_factory):
    other = tmp_path_factory.mktemp("other") / "notes.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (text TEXT)").connection.commit()
    with serve_datasette(demo_db, other) as url:
        yield url


@pytest.mark.parametrize("query, expected", [
    ("since=yesterday", "since: 'yesterday' is not a date"),
    ("until=2024-13-01", "until: '2024-13-01' is not a date"),
    ("q=NATO%20AND", "q: 'NATO AND': AND needs a word on each side"),
    ("q=%22Vilnius", "q: '\"Vilnius': a quote is not closed"),
    ("category=summit", "category: 'summit' is none of new_entry"),
    ("before=x", "before: 'x' is not a number"),
])
def test_the_feed_says_what_is_wrong_with_a_filter(served, query, expected):
    response = httpx.get(f"{served}/-/docwatch/demo?{query}", timeout=30)
    assert response.status_code == 400
    assert expected in html.unescape(response.text)


def test_the_feed_filters_by_words_dates_and_source_and_pages_back(served, demo_db):
    def ids(query: str) -> list[int]:
        response = httpx.get(f"{served}/-/docwatch/demo?{query}", timeout=30)
        assert response.status_code == 200
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        return [int(i) for i in re.findall(r'href="/-/docwatch/demo/changes/(\d+)"', response.text)]

    conn = sqlite3.connect(demo_db)
    expect = lambda sql: [r[0] for r in conn.execute(sql + " ORDER BY id DESC")]
    assert ids("") == expect("SELECT id FROM changes WHERE alert = 1")
    assert ids("source=kam-non-nato") == expect(
        "SELECT id FROM change_feed WHERE alert = 1 AND source = 'kam-non-nato'")
    assert ids("since=2024-01-01&until=2024-07-15") == expect(
        "SELECT id FROM changes WHERE alert = 1 AND detected_at >= '2024-01-01' "
        "AND detected_at < '2024-07-16'")
    assert ids("q=Hague") == expect("SELECT id FROM changes WHERE alert = 1 AND id IN "
                                    "(SELECT rowid FROM changes_fts WHERE changes_fts MATCH 'Hague')")
    assert ids("q=Hague") != [] and ids("since=2024-01-01&until=2024-07-15") != []
    newest = ids("")
    assert ids(f"before={newest[2]}") == newest[3:]


def test_the_words_field_and_the_served_feed_read_terms_as_changes_match(served, demo_db):
    import json
    import xml.etree.ElementTree as ET

    def listed(*terms: str) -> list[int]:
        out = run_cli("--db", str(demo_db), "changes", "--json",
                      *[a for t in terms for a in ("--match", t)])
        assert out.returncode == 0, out.stderr
        return [c["id"] for c in json.loads(out.stdout)["changes"]]

    page = httpx.get(f"{served}/-/docwatch/demo", params={"q": "ukrain*"}, timeout=30)
    shown = [int(i) for i in re.findall(r'href="/-/docwatch/demo/changes/(\d+)"', page.text)]
    assert shown == listed("Ukrain*") and shown  # case aside, the same changes
    both = ("Ukrain*", '"Vilnius summit"')
    atom = httpx.get(f"{served}/-/docwatch/demo/feed.atom", params={"match": both}, timeout=30)
    assert atom.status_code == 200 and atom.headers["content-type"].startswith(
        "application/atom+xml")
    entries = ET.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == len(listed(*both)) > len(shown)
    links = [e.find("{http://www.w3.org/2005/Atom}link").get("href") for e in entries]
    assert all(re.search(r"^http://127\.0\.0\.1:\d+/-/docwatch/demo/changes/\d+$", h)
               for h in links)
    bad = httpx.get(f"{served}/-/docwatch/demo/feed.atom", params={"match": '"Vilnius'},
                    timeout=30)
    assert bad.status_code == 400 and "a quote is not closed" in bad.text


@pytest.mark.parametrize("path", ["/-/docwatch/notes", "/-/docwatch/nowhere",
                                  "/-/docwatch/demo/changes/99999",
                                  "/-/docwatch/demo/snapshots/99999"])
def test_what_is_not_there_is_a_404_that_says_so(served, path):
    response = httpx.get(served + path, timeout=30)
    assert response.status_code == 404 and "Not found" in response.text


def test_the_index_and_the_database_page_lead_to_the_feed(served):
    response = httpx.get(f"{served}/-/docwatch", timeout=30, follow_redirects=True)
    assert response.status_code == 200 and str(response.url).endswith("/-/docwatch/demo")
    assert 'href="/-/docwatch/demo"' in httpx.get(f"{served}/demo", timeout=30).text


def test_the_views_open_a_database_read_only_and_never_upgrade_it(tmp_path, demo_db):
    old = tmp_path / "old.db"
    old.write_bytes(demo_db.read_bytes())
    conn = sqlite3.connect(old)
    as_schema(conn, 8)
    conn.close()
    before = old.read_bytes()
    with pytest.raises(StoreError, match="schema 8, this docwatch reads"):
        Store(old, readonly=True)
    assert old.read_bytes() == before


def test_a_change_links_to_the_changes_and_versions_either_side(served, demo_db):
    conn = sqlite3.connect(demo_db)
    ids = [i for i, in conn.execute("SELECT changes.id FROM changes JOIN sources ON "
                                    "sources.id = source_id WHERE name = 'urm-nato' AND alert = 1 "
                                    "ORDER BY changes.id")]
    middle = ids[len(ids) // 2]
    snapshot, = conn.execute("SELECT snapshot_id FROM changes WHERE id = ?", [middle]).fetchone()
    versions = [i for i, in conn.execute("SELECT id FROM snapshots WHERE source_id = (SELECT "
                                         "source_id FROM snapshots WHERE id = ?) ORDER BY id",
                                         [snapshot])]
    page = httpx.get(f"{served}/-/docwatch/demo/changes/{middle}", timeout=30).text
    nav = dict(re.findall(r'<a href="([^"]+)">([←→\w ]+?)</a>', page.split('<nav aria-label="Changes and versions">')[1]))
    before, after = versions[versions.index(snapshot) - 1], versions[versions.index(snapshot) + 1]
    assert nav == {f"/-/docwatch/demo/changes/{ids[ids.index(middle) - 1]}": "← Previous change",
                   f"/-/docwatch/demo/changes/{ids[ids.index(middle) + 1]}": "Next change →",
                   f"/-/docwatch/demo/snapshots/{before}": "← Previous version",
                   f"/-/docwatch/demo/snapshots/{after}": "Next version →"}
    # A version's page marks every alerting change found in it.
    version = httpx.get(f"{served}/-/docwatch/demo/snapshots/{snapshot}", timeout=30).text
    found = conn.execute("SELECT count(*) FROM changes WHERE snapshot_id = ? AND alert = 1",
                         [snapshot]).fetchone()[0]
    assert len(set(re.findall(r'id="change-(\d+)"', version))) == found
