"""Every way a fetch can go wrong, against real servers on 127.0.0.1 (issue 5)."""

from __future__ import annotations

import gzip
import json
import random

import pytest
import sqlite_utils
from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from docwatch import parsing
from docwatch.demo.history import urm_page, urm_text
from docwatch.errors import FetchError
from docwatch.fetch import Fetcher
from docwatch.models import FetchSettings, NotifyTarget, Source
from docwatch.pipeline import check_all
from docwatch.store import Store

from .conftest import run_cli
from .servers import Response, Server

PAGE = urm_page(urm_text("2023-07-20"), "2023-07-20")
NEWER = urm_page(urm_text("2024-04-02"), "2024-04-02")


def endless(handler, headers: dict[str, str] | None = None) -> None:
    """Headers, then 50 MB (no Content-Length): the client must stop reading by itself."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
    try:
        for _ in range(50 * 16):
            handler.wfile.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def truncated(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(PAGE)))
    handler.end_headers()
    handler.wfile.write(PAGE[:1000])
    handler.close_connection = True


BOMB = gzip.compress(b"\0" * (100 * 1024 * 1024), 9)  # 100 MB of zeros in ~100 KB
random.seed(5)
UNDECODABLE = bytes(random.randrange(128, 256) for _ in range(20_000))

# name -> (response in the second run, expected error kind)
FAULTS = {
    "timeout": (Response(PAGE, delay=3), "timeout"),
    "error-500": (Response(b"oops", 500), "http_5xx"),
    "busy-503": (Response(b"busy", 503, {"Retry-After": "1"}), "http_5xx"),
    "limited-429": (Response(b"slow down", 429, {"Retry-After": "1"}), "http_4xx"),
    "redirect-loop": (Response(b"", 302, {"Location": "/redirect-loop"}), "redirect"),
    "missing-404": (Response(b"not here", 404), "gone"),
    "gone-410": (Response(b"gone", 410), "gone"),
    "blocked-403": (Response(b"<html><title>Access Denied</title>You don't have permission",
                             403), "blocked"),
    "challenge-200": (Response(b"<html><head><title>Just a moment...</title></head><body>"
                               b"<div id='cf-chl-widget'></div></body></html>"), "blocked"),
    "huge-50mb": (Response(raw=endless), "too_large"),
    "gzip-bomb": (Response(BOMB, headers={"Content-Type": "text/html",
                                          "Content-Encoding": "gzip"}), "too_large"),
    "truncated": (Response(raw=truncated), "truncated"),
    "image": (Response(b"\x89PNG\r\n\x1a\n...", headers={"Content-Type": "image/png"}), "unsupported"),
    "cut-pdf": (Response(b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}), "truncated"),
    "undecodable": (Response(UNDECODABLE, headers={"Content-Type": "text/html"}), "undecodable"),
    "empty": (Response(b""), "empty"),
}


def config(server: Server, dead: Server) -> str:
    text = '[fetch]\nretries = 1\nbackoff = 0.1\n\n'
    names = ["healthy", "refused", *FAULTS]
    for name in names:
        base = dead if name == "refused" else server
        text += f'[[source]]\nname = "{name}"\nurl = "{base.url("/" + name)}"\ntimeout = 1\n\n'
    return text


def test_every_fault_is_one_classified_line_and_no_content_change(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as server, Server() as dead:
        cfg = write_config(config(server, dead))
        for name in ["healthy", *FAULTS]:
            server.put(f"/{name}", PAGE)
        dead.put("/refused", PAGE)
        first = run_cli("--db", str(db), "--config", str(cfg), "fetch", "--once")
        assert first.returncode == 0, first.stderr
        assert first.stdout.count("first snapshot recorded") == len(FAULTS) + 2

        dead.stop()  # nothing listens there any more
        for name, (response, _) in FAULTS.items():
            server.put(f"/{name}", response)
        server.put("/healthy", NEWER)
        second = run_cli("--db", str(db), "--config", str(cfg), "fetch", "--once")

        # Retry-After was honoured: one retry, a second later.
        for name in ("busy-503", "limited-429"):
            asked = server.requests[f"/{name}"][-2:]
            assert asked[1] - asked[0] >= 0.95
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    expected = {"refused": "connect", **{n: kind for n, (_, kind) in FAULTS.items()}}
    assert len(lines) == len(expected), lines
    for name, kind in expected.items():
        [line] = [x for x in lines if x.startswith(f"docwatch: {name}: ")]
        assert line.endswith(f"[{kind}]"), line
    assert "Traceback" not in second.stderr
    assert "healthy · " in second.stdout and "7 March 2024" in second.stdout  # unaffected

    rows = sqlite_utils.Database(db)
    for name, kind in expected.items():
        last = next(rows.query(
            "select result, error_kind, error from check_log where source = ? order by id desc "
            "limit 1", [name]))
        assert (last["result"], last["error_kind"]) == ("error", kind), (name, last)
        assert last["error"]
        versions = next(rows.query("select count(*) as n from snapshots join sources on "
                                   "sources.id = snapshots.source_id where name = ?", [name]))
        assert versions["n"] == 1  # the page as stored before the fault, untouched
    assert rows["changes"].count == next(rows.query(
        "select count(*) as n from change_feed where source = 'healthy'"))["n"] > 0


@pytest.fixture
def parse_calls(monkeypatch):
    """Count the pipeline's calls to the real parser."""
    calls = []
    real = parsing.parse

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(parsing, "parse", counting)
    return calls


def conditional(handler) -> None:
    """A server that knows ETag and Last-Modified and answers 304 when it may."""
    if handler.headers.get("If-None-Match") == '"v1"':
        handler.send_response(304)
        handler.send_header("ETag", '"v1"')
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("ETag", '"v1"')
    handler.send_header("Last-Modified", "Mon, 01 Apr 2024 09:00:00 GMT")
    handler.send_header("Content-Length", str(len(PAGE)))
    handler.end_headers()
    handler.wfile.write(PAGE)


def test_a_304_and_an_identical_body_skip_the_parser(tmp_path, parse_calls):
    store = Store(tmp_path / "w.db")
    with Server() as server, Fetcher() as fetcher:
        server.put("/etag", Response(raw=conditional))
        server.put("/plain", PAGE)
        sources = [Source("etag", server.url("/etag")), Source("plain", server.url("/plain"))]
        assert [r.status for r in check_all(sources, store, fetcher=fetcher)] == ["new", "new"]
        assert len(parse_calls) == 2
        assert [r.status for r in check_all(sources, store, fetcher=fetcher)] == [
            "unchanged", "unchanged"]
        assert len(parse_calls) == 2  # neither the 304 nor the same bytes were parsed
        assert server.headers["/etag"][-1]["If-None-Match"] == '"v1"'
        assert server.headers["/etag"][-1]["If-Modified-Since"] == "Mon, 01 Apr 2024 09:00:00 GMT"
    results = {(r["source"], r["result"]) for r in store.db.query("select source, result from check_log")}
    assert results == {("etag", "new"), ("plain", "new"), ("etag", "not_modified"),
                       ("plain", "unchanged")}


def test_failing_recovered_and_removed_are_one_alert_each(tmp_path, httpserver: HTTPServer):
    hook_server = httpserver
    received = []

    def receive(request):
        received.append(json.loads(request.data)["title"])
        return WerkzeugResponse("ok")

    hook_server.expect_request("/hook", method="POST").respond_with_handler(receive)
    targets = (NotifyTarget(f"json://127.0.0.1:{hook_server.port}/hook"),)
    store = Store(tmp_path / "w.db")
    with Server() as server, Fetcher(FetchSettings(retries=0)) as fetcher:
        source = Source("page", server.url("/page"))

        def run(response) -> str:
            server.put("/page", response)
            [result] = check_all([source], store, targets=targets, fetcher=fetcher)
            return result.status

        assert run(PAGE) == "new"
        for _ in range(5):  # five failures: one alert, at the third
            assert run(Response(b"down", 500)) == "error"
        assert received == ["page · ⚠ source failing"]
        assert run(PAGE) == "unchanged"
        assert received[-1] == "page · ✓ source recovered"
        for _ in range(2):  # the page is removed: one event, not one per check
            assert run(Response(b"", 404)) == "error"
        assert received[-1] == "page · ✗ page removed"
        assert run(PAGE) == "unchanged"
    assert received == ["page · ⚠ source failing", "page · ✓ source recovered",
                        "page · ✗ page removed", "page · ✓ source recovered"]


def test_robots_txt_is_respected_unless_turned_off(tmp_path):
    store = Store(tmp_path / "w.db")
    with Server() as server, Fetcher(FetchSettings(retries=0)) as fetcher:
        server.put("/robots.txt", Response(b"User-agent: *\nDisallow: /private/\n",
                                           headers={"Content-Type": "text/plain"}))
        server.put("/private/page", PAGE)
        polite = Source("polite", server.url("/private/page"))
        rude = Source("rude", server.url("/private/page"), robots=False)
        [refused, fetched] = check_all([polite, rude], store, fetcher=fetcher)
    assert (refused.status, refused.error_kind) == ("error", "robots")
    assert fetched.status == "new"
    assert server.count("/private/page") == 1 and server.count("/robots.txt") == 1


def test_robots_txt_is_read_once_a_day_across_runs(tmp_path, write_config):
    """`fetch --once` under cron: the rules read by one run serve the next ones for a day;
    a site whose robots.txt failed (5xx) is asked again next run."""
    db = tmp_path / "w.db"
    with Server() as server, Server() as down:
        server.put("/robots.txt", Response(b"User-agent: *\nDisallow: /private/\n",
                                           headers={"Content-Type": "text/plain"}))
        server.put("/page", PAGE)
        server.put("/private/page", PAGE)
        down.put("/robots.txt", Response(b"busy", 503))
        down.put("/page", PAGE)
        config = write_config(
            f'[fetch]\nretries = 0\n[[source]]\nname = "page"\nurl = "{server.url("/page")}"\n'
            f'[[source]]\nname = "private"\nurl = "{server.url("/private/page")}"\n'
            f'[[source]]\nname = "other"\nurl = "{down.url("/page")}"\n')

        def fetch_once() -> str:
            return run_cli("--db", str(db), "--config", str(config), "fetch", "--once").stderr

        for _ in range(3):
            assert "private: robots.txt disallows this page" in fetch_once()
        assert server.count("/robots.txt") == 1 and server.count("/private/page") == 0
        assert down.count("/robots.txt") == 3 and down.count("/page") == 3
        # A day later the rules are read again.
        sqlite_utils.Database(db).execute(
            "UPDATE robots SET read_at = '2020-01-01T00:00:00Z'").connection.commit()
        fetch_once()
        assert server.count("/robots.txt") == 2
    rows = sqlite_utils.Database(db).execute("SELECT site, body FROM robots").fetchall()
    assert rows == [(server.url(""), "User-agent: *\nDisallow: /private/\n")]


def test_redirects_are_followed_to_the_final_page_which_is_what_gets_recorded():
    """Ministries move pages: a relative and an absolute redirect (to another site) end at
    the page, whose address is the one recorded."""
    with Server() as old_site, Server() as new_site, Fetcher(FetchSettings(retries=0)) as fetcher:
        old_site.put("/en/news", Response(b"", 301, {"Location": "/en/news-archive"}))
        old_site.put("/en/news-archive", Response(b"", 302, {"Location": new_site.url("/page")}))
        new_site.put("/page", PAGE)
        fetched = fetcher.get(old_site.url("/en/news"), robots=False)
    assert (fetched.status_code, fetched.final_url, fetched.body) == (200, new_site.url("/page"), PAGE)
    assert fetched.url == old_site.url("/en/news")


def test_credentials_in_a_source_url_go_to_its_site_only():
    """`http://user:password@host/…` logs in with HTTP basic auth on that site; a redirect to
    another site does not take the password along, and the recorded address hides it."""
    import base64

    with Server() as site, Server() as other, Fetcher(FetchSettings(retries=0)) as fetcher:
        site.put("/private", Response(b"", 302, {"Location": "/private/page"}))
        site.put("/private/page", Response(b"", 302, {"Location": other.url("/public")}))
        other.put("/public", PAGE)
        url = site.url("/private").replace("http://", "http://analyst:src-pa55word@")
        fetched = fetcher.get(url, robots=False)
    sent = "Basic " + base64.b64encode(b"analyst:src-pa55word").decode()
    assert [h.get("Authorization") for h in site.headers["/private"] + site.headers["/private/page"]] == [sent, sent]
    assert [h.get("Authorization") for h in other.headers["/public"]] == [None]
    assert fetched.body == PAGE and "src-pa55word" not in fetched.final_url


def test_each_site_keeps_its_connection_however_many_sites_there_are():
    """Keep-alive per site for the whole run: urllib3's PoolManager keeps the pools of ten
    sites and closes the others', so with more sites every check opened a new connection."""
    from contextlib import ExitStack

    with ExitStack() as running:
        sites = [running.enter_context(Server()) for _ in range(12)]
        for site in sites:
            site.put("/page", PAGE)
        with Fetcher(FetchSettings(retries=0, per_host=1)) as fetcher:
            for _ in range(2):
                for site in sites:
                    assert fetcher.get(site.url("/page"), robots=False).body == PAGE
        assert [site.connections for site in sites] == [1] * 12


def test_a_redirect_that_cannot_be_followed_says_where_it_led():
    """A failure after a redirect names the address the redirect led to, not the page's own
    site (which answered); a Location that is no URL is said to be one."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with Server() as site, Fetcher(FetchSettings(retries=0)) as fetcher:
        site.put("/moved", Response(b"", 301, {"Location": f"http://127.0.0.1:{dead}/page"}))
        site.put("/garbled", Response(b"", 302, {"Location": "http://example.org:abc/"}))
        with pytest.raises(FetchError) as moved:
            fetcher.get(site.url("/moved"), robots=False)
        with pytest.raises(FetchError) as garbled:
            fetcher.get(site.url("/garbled"), robots=False)
    assert (moved.value.kind, str(moved.value)) == ("connect", f"connection refused by 127.0.0.1:{dead}")
    assert garbled.value.kind == "redirect" and "invalid address" in str(garbled.value)
