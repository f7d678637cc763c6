"""The analyst's reading views in a real browser: Chromium driven by Playwright, Datasette
started here on 127.0.0.1 serving the demo's database and one made from a hostile page.
Screenshots are kept in test-artifacts/ (or $DOCWATCH_ARTIFACTS)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from docwatch.browser import BASE_ARGS as LAUNCH_ARGS, find_chromium
from docwatch.demo.replay import run_demo

from .conftest import run_cli, serve_datasette
from .servers import Server

# What a person looks at is tested in the browser a person would use: Debian's Chromium.
BROWSER = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else find_chromium()
if importlib.util.find_spec("playwright") is None or not os.path.exists(BROWSER or ""):
    pytest.skip("no Chromium for the browser tests: apt-get install chromium (and pip install "
                "playwright), or set DOCWATCH_CHROMIUM", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

ROOT = Path(__file__).parent.parent
ARTIFACTS = Path(os.environ.get("DOCWATCH_ARTIFACTS") or ROOT / "test-artifacts")

#: A page that tries everything: inline and external scripts, handlers, a javascript: link,
#: a frame, a form, a tracking pixel and a third-party image, page styles that would hide text.
HOSTILE = """<!doctype html><html lang="en"><head><title>Defence budget</title>
<script>window.__ran = "head"; document.title = "script ran";</script>
<script src="{site}/evil.js"></script>
<style>main {{ display: none }}</style></head>
<body onload="window.__ran = 'onload'; document.title = 'onload ran'">
<main><h1>Defence budget</h1>
<p onclick="window.__ran = 'click'" onmouseover="window.__ran = 'hover'">The government
will spend {share} % of GDP on defence in 2026.</p>
<p>Questions: <a href="javascript:window.__ran='link'">write to us</a>.</p>
<img src="x.png" onerror="window.__ran = 'onerror'" alt="chart">
<img src="{site}/pixel.gif" width="1" height="1" alt="">
<img src="{third}/banner.png" alt="banner">
<iframe src="{site}/frame.html"></iframe>
<form action="{site}/post"><input name="q"><button>Send</button></form>
<svg><script>window.__ran = "svg"</script></svg>
<p>Budget lines are published each spring.</p>
</main></body></html>"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("reading") / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    return db


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A database whose page carries scripts and handlers, checked twice (2.5 → 3), and the
    server it came from, still up so any request the view made would be counted."""
    folder = tmp_path_factory.mktemp("hostile")
    db, config = folder / "hostile.db", folder / "docwatch.toml"
    with Server() as site:
        third = site.url("").replace("127.0.0.1", "localhost")
        config.write_text(f'[[source]]\nname = "budget"\nurl = "{site.url("/budget")}"\n'
                          "robots = false\n", encoding="utf-8")
        for share in ("2.5", "3"):
            site.put("/budget", HOSTILE.format(site=site.url("").rstrip("/"), share=share,
                                               third=third.rstrip("/")).encode())
            out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
            assert out.returncode == 0, out.stderr
        yield db, site


@pytest.fixture(scope="module")
def served(demo_db, hostile):
    with serve_datasette(demo_db, hostile[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=BROWSER, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    tab = context.new_page()
    yield tab
    context.close()


def _one(db: Path, sql: str, *args) -> list:
    return sqlite3.connect(db).execute(sql, args).fetchall()


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_the_revised_figure_is_in_view_on_load(served, demo_db, page):
    [(change_id,)] = [(i,) for i, figures in _one(
        demo_db, "SELECT id, figures FROM change_feed WHERE category = 'revised_figure'")
        if {"old": "2.5 %", "new": "3 %"} in json.loads(figures)]
    page.goto(f"{served}/-/docwatch/demo/changes/{change_id}")
    inserted = page.locator(".page ins", has_text=re.compile(r"^\s*3\s*$"))
    expect(inserted).to_have_count(1)
    expect(inserted).to_be_in_viewport()
    expect(page.locator(".page del", has_text="2.5")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 300  # it is far down the page: the page scrolled
    assert "Figure revised" in page.locator("header").inner_text()
    assert _shot(page, "change-in-context").stat().st_size > 10_000


def test_a_new_entry_is_marked_as_a_block(served, demo_db, page):
    [(change_id, text)] = _one(demo_db, "SELECT id, new_text FROM change_feed WHERE category = "
                               "'new_entry' AND section_path LIKE '%11-12 July 2023'")
    page.goto(f"{served}/-/docwatch/demo/changes/{change_id}")
    block = page.locator(".page .dw-added", has_text=text[:40])
    expect(block).to_have_count(1)
    expect(block).to_be_in_viewport()
    expect(block.locator(".dw-badge")).to_have_text("New entry")
    # Entries of the same version are marked too; older entries are not.
    same_version = _one(demo_db, "SELECT count(*) FROM changes WHERE snapshot_id = (SELECT "
                        "snapshot_id FROM changes WHERE id = ?) AND category = 'new_entry'",
                        change_id)[0][0]
    expect(page.locator(".page .dw-added")).to_have_count(same_version)


def test_the_feed_filtered_to_revised_figures_lists_exactly_them(served, demo_db, page):
    expected = [i for i, in _one(demo_db, "SELECT id FROM change_feed WHERE category = "
                                 "'revised_figure' AND alert = 1 ORDER BY id DESC")]
    page.goto(f"{served}/-/docwatch/demo")
    everything = page.locator("ol.alerts > li").count()
    page.select_option("select[name=category]", "revised_figure")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"category=revised_figure"))
    items = page.locator("ol.alerts > li")
    expect(items).to_have_count(len(expected))
    assert everything > len(expected) >= 2
    links = [items.nth(k).locator("h2 a").get_attribute("href") for k in range(len(expected))]
    assert links == [f"/-/docwatch/demo/changes/{i}" for i in expected]
    expect(items.locator(".cat")).to_have_text(["Figure revised"] * len(expected))
    _shot(page, "feed")
    items.first.locator("h2 a").click()  # each one opens in context
    expect(page.locator(".dw-focus")).to_be_in_viewport()


def test_nothing_from_the_stored_page_runs_or_loads(served, hostile, page):
    db, site = hostile
    [(change_id,)] = _one(db, "SELECT id FROM change_feed WHERE category = 'revised_figure'")
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{served}/-/docwatch/hostile/changes/{change_id}", wait_until="load")
    page.locator(".page p", has_text="GDP").hover()
    page.locator(".page p", has_text="GDP").click()
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("document.scripts.length") == 0
    assert "ran" not in page.title()
    assert dialogs == []
    # Its text is shown even though its own style hid it, and the revision is marked.
    expect(page.locator(".page ins", has_text="3")).to_be_visible()
    assert page.locator(".page iframe, .page form, .page input, .page [onclick]").count() == 0
    # Nothing was asked of the watched site: no script, frame, pixel or third-party image.
    # Only the page's own image came from its site; the third-party one is dropped.
    assert [u for u in requests if not u.startswith(served)] in ([], [site.url("/x.png")])
    assert page.locator(".page img").count() == 1
    for path in ("/evil.js", "/frame.html", "/pixel.gif", "/post"):
        assert site.count(path) == 0, path
    href = page.locator(".page a", has_text="write to us").get_attribute("href")
    assert href is None or not href.startswith("javascript")


@pytest.mark.parametrize("view", ["feed", "change"])
def test_the_views_pass_axe_and_read_on_a_phone(served, demo_db, browser, view):
    from axe_playwright_python.sync_playwright import Axe

    [(change_id,)] = _one(demo_db, "SELECT max(id) FROM change_feed WHERE category = "
                          "'revised_figure'")
    url = f"{served}/-/docwatch/demo" + (f"/changes/{change_id}" if view == "change" else "")
    for width in (1200, 390):
        context = browser.new_context(viewport={"width": width, "height": 844})
        tab = context.new_page()
        tab.goto(url)
        results = Axe().run(tab)
        serious = [(v["id"], v["impact"], v["help"]) for v in results.response["violations"]
                   if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        if width == 390:
            _shot(tab, f"{view}-390")
        context.close()
