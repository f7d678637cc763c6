"""Pages drawn by JavaScript, rendered in a real headless Chromium driven over its pipe, served
on 127.0.0.1: an app shell whose text a script writes, a script that fetches its data from a
JSON endpoint, a script that never lets the network rest, and no browser at all. Real CLI,
real server, real database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from docwatch.parsing import parse

from .conftest import HAS_CHROMIUM, run_cli
from .drawn import DRAWN, EVENTS, FETCHING, HTML, LATER, drawing, later, shell
from .servers import Response, Server

if not HAS_CHROMIUM:
    pytest.skip("no Chromium for the browser tests: apt-get install chromium-headless-shell "
                "(or chromium), or set DOCWATCH_CHROMIUM", allow_module_level=True)


def _config(write_config, site: Server, path: str, extra: str = "", fetch: str = "") -> str:
    return write_config(f"{fetch}[[source]]\nname = \"app\"\nurl = \"{site.url(path)}\"\n"
                        f"render = \"browser\"\nrobots = false\n{extra}")


def _fetch(db, config) -> subprocess.CompletedProcess:
    return run_cli("--db", str(db), "--config", str(config), "fetch", "--once")


def test_an_app_shell_is_read_as_its_script_draws_it(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/news", Response(drawing(EVENTS), headers=HTML))
        config = _config(write_config, site, "/news")
        first = _fetch(db, config)
        assert first.returncode == 0, first.stderr
        assert "app: first snapshot recorded" in first.stdout
        new = {"date": "2025 m. balandžio 7 d.", "text": "Seimas priėmė karo tarnybos pakeitimus."}
        site.put("/news", Response(drawing([new, *EVENTS]), headers={**HTML, "ETag": '"v2"'}))
        second = _fetch(db, config)
        # the server says 304 (not modified): the browser is not started for it
        asked = site.count("/news")
        site.put("/news", Response(b"", 304, headers={"ETag": '"v2"'}))
        third = _fetch(db, config)
        assert site.count("/news") == asked + 1  # the conditional GET alone
        assert third.returncode == 0 and "app: no change" in third.stdout, third.stdout
        assert site.headers["/news"][-1].get("If-None-Match") == '"v2"'
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("NEW ENTRY") == 1, second.stdout
    assert "Renginiai › 2025 m. balandžio 7 d." in second.stdout
    assert "Seimas priėmė karo tarnybos pakeitimus." in second.stdout
    rows = sqlite3.connect(db).execute(
        "SELECT kind, date FROM passages WHERE date IS NOT NULL ORDER BY id").fetchall()
    assert rows == [("entry", "2025 m. kovo 3 d."), ("entry", "2025 m. vasario 12 d."),
                    ("entry", "2025 m. balandžio 7 d.")]


def test_a_script_that_fetches_its_data_from_a_json_endpoint(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/news", Response(FETCHING, headers=HTML))
        site.put("/api/events.json", Response(json.dumps(EVENTS).encode(),
                                              headers={"Content-Type": "application/json"}))
        config = _config(write_config, site, "/news")
        assert _fetch(db, config).returncode == 0
        site.put("/api/events.json", Response(json.dumps(EVENTS[:1]).encode(),
                                              headers={"Content-Type": "application/json"}))
        second = _fetch(db, config)
        assert site.count("/api/events.json") == 2
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("REMOVED") == 1, second.stdout
    assert "Prasidėjo pratybos Pabradės poligone." in second.stdout


def test_a_script_that_never_lets_the_network_rest_ends_within_the_deadline(
        tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        def never(handler) -> None:  # a long poll that is never answered
            site.closing.wait(300)

        site.put("/news", Response(shell("fetch('/api/poll');"), headers=HTML))
        site.put("/api/poll", Response(raw=never))
        config = _config(write_config, site, "/news", "timeout = 3\n")
        started = time.monotonic()
        out = _fetch(db, config)
        took = time.monotonic() - started
    assert out.returncode == 1
    assert took < 20, took
    [line] = out.stderr.splitlines()
    assert line.startswith("docwatch: app: ") and line.endswith("[timeout]"), line
    assert sqlite3.connect(db).execute(
        "SELECT result, error_kind FROM fetches").fetchall() == [("error", "timeout")]


def test_a_page_drawn_for_one_source_sends_nothing_of_its_headers_for_the_next(
        tmp_path, write_config):
    """The browser keeps its pages for the next source (a new one costs a renderer's start):
    a source's own headers, which may hold a secret, must not go with another's requests."""
    db = tmp_path / "w.db"
    with Server() as site:
        for name in ("first", "second"):
            site.put(f"/{name}", Response(FETCHING.replace(b"/api/events.json",
                                                           f"/api/{name}.json".encode()),
                                          headers=HTML))
            site.put(f"/api/{name}.json", Response(json.dumps(EVENTS).encode(),
                                                   headers={"Content-Type": "application/json"}))
        config = write_config(
            "[fetch]\nconcurrency = 1\nbrowser_pages = 1\n"
            f'[[source]]\nname = "first"\nurl = "{site.url("/first")}"\nrender = "browser"\n'
            'robots = false\nheaders = { "X-Api-Key" = "k-123" }\n'
            f'[[source]]\nname = "second"\nurl = "{site.url("/second")}"\nrender = "browser"\n'
            "robots = false\n")
        done = _fetch(db, config)
    assert done.returncode == 0, done.stderr
    assert site.headers["/api/first.json"][0].get("X-Api-Key") == "k-123"
    assert "X-Api-Key" not in site.headers["/api/second.json"][0]


def test_a_page_that_asks_something_of_its_reader_is_still_drawn(tmp_path, write_config):
    """An alert or a confirm holds a page's scripts until someone answers it: the browser
    answers, and the page is drawn."""
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/news", Response(shell(
            "alert('Svetainė naudoja slapukus'); if (!confirm('Tęsti?')) "
            "document.getElementById('root').innerHTML = '<main><h1>Ministerijos naujienos</h1>"
            "<p>Ministras susitiko su Lenkijos gynybos ministru.</p></main>';"), headers=HTML))
        out = _fetch(db, _config(write_config, site, "/news", "timeout = 5\n"))
    assert out.returncode == 0, out.stderr
    assert "first snapshot recorded" in out.stdout
    [text] = sqlite3.connect(db).execute(
        "SELECT group_concat(text, ' ') FROM passages").fetchone()
    assert "Ministras susitiko su Lenkijos gynybos ministru." in text


def test_pages_of_one_document_at_two_fragments_are_both_drawn(tmp_path, write_config):
    """A page kept for the next that moves only to another #fragment of the same document is
    no new load: it is drawn anew all the same."""
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/app", Response(drawing(EVENTS), headers=HTML))
        config = write_config(
            "[fetch]\nconcurrency = 1\nbrowser_pages = 1\n" + "".join(
                f'[[source]]\nname = "{name}"\nurl = "{site.url("/app")}#{name}"\n'
                'render = "browser"\nrobots = false\ntimeout = 5\n' for name in ("a", "b")))
        out = _fetch(db, config)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("first snapshot recorded") == 2, out.stdout


def _drawn_by(browser, fetched):
    """The page fetched, drawn by `browser` itself (not the fetcher's own)."""
    return browser.render(fetched.final_url, fetched.body, content_type=HTML["Content-Type"],
                          timeout=10)


def test_a_browser_that_died_is_started_again_for_the_next_page():
    from docwatch.browser import Browser
    from docwatch.fetch import Fetcher

    with Server() as site, Fetcher() as fetcher:
        site.put("/news", Response(drawing(EVENTS), headers=HTML))
        browser = Browser(pages=1, relay=fetcher.relay)
        try:
            fetched = fetcher.get(site.url("/news"), robots=False)
            first = _drawn_by(browser, fetched)
            os.kill(browser._cdp.pid, signal.SIGKILL)
            again = _drawn_by(browser, fetched)
        finally:
            browser.close()
    assert "Prasidėjo pratybos Pabradės poligone." in first.html
    assert again.html == first.html


@pytest.mark.parametrize("shape", sorted(LATER))
def test_a_page_that_draws_once_something_else_is_done_is_read_drawn(shape):
    """A page read as soon as its DOM is still and it has nothing scheduled: one that waits
    on a timer, frames, messages or a request before it draws, its DOM still meanwhile, is
    read once it has drawn."""
    from docwatch.fetch import Fetcher

    with Server() as site, Fetcher() as fetcher:
        site.put("/news", Response(later(shape), headers=HTML))
        site.put("/api/slow.json", Response(b"{}", headers={"Content-Type": "application/json"},
                                            delay=0.15))
        drawn = fetcher.render(fetcher.get(site.url("/news"), robots=False), timeout=10)
    doc = parse(drawn.html.encode(), content_type=HTML["Content-Type"], url=site.url("/news"))
    assert [b.text for s in doc.sections for b in s.blocks] == [DRAWN]  # not the script's words


def test_a_context_that_drew_its_share_of_pages_ends_with_its_renderers(monkeypatch):
    """A renderer keeps some of every page it drew: after `CONTEXT_PAGES` pages the next are
    drawn in a fresh context, and the old one is let go once its last page is closed."""
    import asyncio

    from docwatch import browser as module
    from docwatch.fetch import Fetcher

    monkeypatch.setattr(module, "CONTEXT_PAGES", 3)
    with Server() as site, Fetcher() as fetcher:
        site.put("/news", Response(drawing(EVENTS), headers=HTML))
        browser = module.Browser(pages=2, relay=fetcher.relay)
        try:
            fetched = fetcher.get(site.url("/news"), robots=False)
            drawn = [_drawn_by(browser, fetched) for _ in range(10)]
            contexts = asyncio.run_coroutine_threadsafe(
                browser._cdp.send("Target.getBrowserContexts"), browser._loop).result(10)
        finally:
            browser.close()
    assert len({page.html for page in drawn}) == 1
    assert contexts["browserContextIds"] == [browser._context]
    assert browser._drawn[browser._context] == 10 % 3


def test_a_run_that_stops_closes_its_browser_and_leaves_nothing_of_it(tmp_path, monkeypatch):
    """`docwatch run` draws its pages in a browser of its own: stopped, it ends it and
    removes the profile it made for it."""
    from .daemon import Run

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # where the run makes the browser's profile
    with Server() as site:
        site.put("/news", Response(drawing(EVENTS), headers=HTML))
        run = Run(tmp_path, f'[[source]]\nname = "app"\nurl = "{site.url("/news")}"\n'
                            'render = "browser"\nrobots = false\nevery = "1h"\n')
        try:
            [check] = run.wait("check", source="app")
            made = [p.name for p in scratch.iterdir()]
        finally:
            code = run.stop()
    assert check["result"] == "new", check
    assert [name for name in made if name.startswith("docwatch-chromium-")], made
    assert code == 0 and list(scratch.iterdir()) == []


@pytest.mark.parametrize("body, says", [(b"\x00\x01\x02binary" * 100, "[binary]"),
                                        (b"  \n", "[empty]")])
def test_what_is_no_page_is_refused_as_it_is_plainly_not_drawn(tmp_path, write_config, body,
                                                                 says):
    """A binary or empty body is no page to draw: one line, as without a browser, and no
    snapshot (drawn, it read as a page of its bytes)."""
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/news", Response(body, headers=HTML))
        out = _fetch(db, _config(write_config, site, "/news"))
    assert out.returncode == 1, out.stdout
    [line] = out.stderr.splitlines()
    assert line.startswith("docwatch: app: ") and line.endswith(says), line
    assert sqlite3.connect(db).execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
