"""Versions that are not the page: an empty body, a "Loading…" placeholder, a rate-limit page
served with 200 and a consent wall, between real versions of a page of our own making. They
are held as failed checks; alerts come exactly on the real changes; a collapse that persists
is one status event ("content not readable"), never a version nor one REMOVED per section, and
the page's return is "content back", not news. And a page drawn by
JavaScript is `needs_browser`, never an empty snapshot, and one to be rendered without a
browser is one line saying how to install it."""

from __future__ import annotations

import json

from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from docwatch.fetch import Fetcher
from docwatch.models import FetchSettings, NotifyTarget, Source
from docwatch.pipeline import check_all
from docwatch.store import Store

from .conftest import run_cli
from .servers import Response, Server

EVENTS = [("2025 m. kovo 3 d.", "Ministras susitiko su Lenkijos gynybos ministru Vilniuje ir "
           "aptarė oro gynybos stiprinimą regione."),
          ("2025 m. vasario 12 d.", "Lietuvos kariai pradėjo pratybas kartu su sąjungininkais "
           "Pabradės poligone; dalyvauja daugiau kaip 2 000 karių."),
          ("2025 m. sausio 20 d.", "Vyriausybė pritarė gynybos finansavimo didinimui iki 3,5 "
           "proc. BVP nuo 2026 metų.")]


def _page(events) -> bytes:
    items = "".join(f"<h3>{d}</h3><p>{t}</p>" for d, t in events)
    return (f"<html lang='lt'><head><title>Naujienos</title></head><body><nav><a href='/'>"
            f"Pradžia</a></nav><main><h1>Ministerijos naujienos</h1><p>Naujausi ministerijos "
            f"renginiai ir sprendimai.</p><h2>Renginiai</h2>{items}</main>"
            "<footer>© Ministerija</footer></body></html>").encode()


NOT_THE_PAGE = {
    "empty": b"",
    "loading": (b"<html><head><title>Naujienos</title><script src='/app.js'></script></head>"
                b"<body><main><p>Loading\xe2\x80\xa6</p></main></body></html>"),
    "rate_limit": (b"<html><head><title>429</title></head><body><h1>Too many requests</h1>"
                   b"<p>Please try again in a few minutes.</p></body></html>"),
    "consent": ("<html lang='lt'><body><div class='consent'><h1>Slapukai</h1><p>Ši svetainė "
                "naudoja slapukus, kad pagerintų jūsų naršymo patirtį ir rinktų statistiką. "
                "Spustelėkite „Sutinku“, jei sutinkate su slapukų naudojimu šioje svetainėje; "
                "nustatymus galite bet kada pakeisti.</p><button>Sutinku</button></div>"
                "</body></html>").encode(),
}


def test_versions_that_are_not_the_page_are_held_and_alerts_come_on_real_changes(
        tmp_path, httpserver: HTTPServer):
    received: list[str] = []

    def receive(request):
        received.append(json.loads(request.data)["title"])
        return WerkzeugResponse("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    targets = (NotifyTarget(f"json://127.0.0.1:{httpserver.port}/hook"),)
    new_event = ("2025 m. balandžio 7 d.", "Seimas priėmė Krašto apsaugos sistemos organizavimo "
                 "ir karo tarnybos įstatymo pakeitimus dėl šauktinių.")
    history = [("real", _page(EVENTS)), ("empty", None), ("real", _page(EVENTS)),
               ("loading", None), ("real+", _page([new_event, *EVENTS])),
               ("rate_limit", None), ("real+", _page([new_event, *EVENTS])),
               ("consent", None), ("real-", _page([new_event, *EVENTS[:2]])),
               ("loading", None), ("loading", None), ("loading", None),
               ("real-", _page([new_event, *EVENTS[:2]]))]
    seen = []
    with Server() as site, Fetcher(FetchSettings(retries=0)) as fetcher, \
            Store(tmp_path / "w.db") as store:
        source = Source("naujienos", site.url("/naujienos"))
        for name, body in history:
            site.put("/naujienos", Response(body if body is not None else NOT_THE_PAGE[name],
                                            headers={"Content-Type": "text/html"}))
            [result] = check_all([source], store, targets=targets, fetcher=fetcher)
            seen.append((name, result.status, result.error_kind,
                         [(c.category, c.section[-1] if c.section else "")
                          for c in result.changes]))
        snapshots = store.count("snapshots")
    assert seen == [
        ("real", "new", None, []),
        ("empty", "error", "empty", []),
        ("real", "unchanged", None, []),
        ("loading", "error", "placeholder", []),
        ("real+", "changed", None, [("new_entry", "2025 m. balandžio 7 d.")]),
        ("rate_limit", "error", "placeholder", []),
        ("real+", "unchanged", None, []),
        ("consent", "error", "placeholder", []),
        ("real-", "changed", None, [("removed_entry", "2025 m. sausio 20 d.")]),
        ("loading", "error", "placeholder", []),
        ("loading", "error", "placeholder", []),
        ("loading", "error", "placeholder", []),  # persisted: one status event
        ("real-", "unchanged", None, []),  # back as it was: a status, no news
    ]
    assert snapshots == 3  # the three real versions: a collapse is never one
    # one alert per real change, and the persisting collapse is one pair of status events
    assert received == ["naujienos · Ministerijos naujienos — 1 change"] * 2 + [
        "naujienos · ⚠ content not readable", "naujienos · ✓ content back"]


APP_SHELL = (b"<!doctype html><html><head><title>Portal</title><script type='module' "
             b"src='/assets/index.js'></script></head><body><div id='root'></div><noscript>"
             b"You need to enable JavaScript to run this app.</noscript></body></html>")


def test_a_page_drawn_by_javascript_is_needs_browser_and_no_snapshot(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/app", Response(APP_SHELL, headers={"Content-Type": "text/html"}))
        config = write_config(f'[[source]]\nname = "portal"\nurl = "{site.url("/app")}"\n')
        out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "docwatch: portal: the page's text is drawn by JavaScript (an empty app shell): add "
        'render = "browser" to its [[source]] [needs_browser]']
    with Store(db) as store:
        assert store.count("snapshots") == 0
        [kind] = [r[0] for r in store.db.execute("SELECT error_kind FROM fetches")]
    assert kind == "needs_browser"
    listed = run_cli("--db", str(db), "--config", str(config), "sources")
    assert "needs_browser" in listed.stdout


def test_no_browser_is_one_line_and_nothing_recorded(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/app", Response(APP_SHELL, headers={"Content-Type": "text/html"}))
        config = write_config('[fetch]\nbrowser = "/nonexistent/chromium"\n\n[[source]]\n'
                              f'name = "portal"\nurl = "{site.url("/app")}"\n'
                              'render = "browser"\n')
        out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert out.returncode == 1
    [line] = out.stderr.splitlines()
    assert line.startswith("docwatch: portal: ") and line.endswith("[browser]"), line
    assert "apt-get install chromium" in line and "Traceback" not in out.stderr
    with Store(db) as store:
        assert store.count("snapshots") == 0
        assert [r[0] for r in store.db.execute("SELECT error_kind FROM fetches")] == ["browser"]
