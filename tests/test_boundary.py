"""The network boundary (issue 38): a URL the operator did not write (a linked document, a
redirect) never reaches an inward address unless `[fetch] allow` names it; the source's own
host is the operator's. Real servers on 127.0.0.1, and on 127.0.0.2 for another, inward host."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from docwatch.boundary import Allowance, address_class

from .conftest import needs_chromium, readme_shows, run_cli
from .servers import Response, Server
from . import pdfs

PAGE = ("<html><body><main><h1>Plans</h1><p>The Ministry's plans for the coming years, as "
        "adopted by the Government.</p><ul><li><a href='{href}'>Defence plan 2026</a></li>"
        "</ul></main></body></html>")


def Inward() -> Server:  # noqa: N802 - it stands for a kind of server
    """A server on 127.0.0.2: another host, and an inward one."""
    return Server("127.0.0.2")


def _watch(tmp_path: Path, url: str, fetch: str = "") -> tuple[object, Path]:
    config = tmp_path / "docwatch.toml"
    config.write_text(f"{fetch}\n[[source]]\nname = \"plans\"\nurl = \"{url}\"\nrobots = false\n"
                      "documents = true\n", encoding="utf-8")
    db = tmp_path / "w.db"
    done = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    assert "Traceback" not in done.stderr
    return done, db


def _fetched(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT sources.name, fetches.result || coalesce(':' || "
                           "fetches.error_kind, '') FROM fetches JOIN sources ON "
                           "sources.id = fetches.source_id ORDER BY fetches.id").fetchall()
    con.close()
    return dict(rows)


@pytest.fixture
def inward():
    with Inward() as server:
        server.put("/plan.pdf", PDF)
        yield server


PDF = Response(pdfs.strategy(), headers={"Content-Type": "application/pdf"})


@pytest.mark.parametrize("how", ["link", "redirect", "a name resolving inward"])
def test_a_url_the_page_chose_never_reaches_an_inward_host(tmp_path, inward, how):
    with Server() as site, Server() as other:
        other.put("/plan.pdf", PDF)
        target = inward.url("/plan.pdf")
        if how == "a name resolving inward":  # caught when the connection is made
            target = f"http://localhost:{other.httpd.server_address[1]}/plan.pdf"
        href = "/go/plan.pdf" if how == "redirect" else target
        site.put("/go/plan.pdf", Response(b"", status=302, headers={"Location": target}))
        site.put("/plans", PAGE.format(href=href).encode())
        done, db = _watch(tmp_path, site.url("/plans"))
        assert other.count("/plan.pdf") == 0
    assert inward.count("/plan.pdf") == 0
    results = _fetched(db)
    assert results.pop("plans") == "new"
    [(name, result)] = results.items()
    assert result == "error:blocked"
    [line] = [ln for ln in done.stderr.splitlines() if f"docwatch: {name}: " in ln]
    assert "loopback address" in line and line.endswith("[blocked]")
    assert "[fetch] allow" in line
    if how == "link":
        assert readme_shows(line.replace(f"plans/{name.split('/', 1)[1]}", "plans/plan.pdf"))


def test_the_same_links_are_followed_when_allow_names_the_address(tmp_path, inward):
    with Server() as site:
        site.put("/go/plan.pdf", Response(b"", status=302,
                                          headers={"Location": inward.url("/plan.pdf")}))
        site.put("/plans", PAGE.format(href="/go/plan.pdf").encode())
        done, db = _watch(tmp_path, site.url("/plans"), '[fetch]\nallow = ["127.0.0.2/32"]')
    assert done.returncode == 0, done.stderr
    assert sorted(_fetched(db).values()) == ["new", "new"]
    assert inward.count("/plan.pdf") == 1


def test_the_sources_own_host_is_the_operators(tmp_path):
    """127.0.0.1 is loopback, but it is the host the operator wrote: its documents and its
    redirects there are followed."""
    with Server() as site:
        site.put("/plan.pdf", PDF)
        site.put("/old", Response(b"", status=301, headers={"Location": "/plans"}))
        site.put("/plans", PAGE.format(href="/plan.pdf").encode())
        done, db = _watch(tmp_path, site.url("/old"))
    assert done.returncode == 0, done.stderr
    assert sorted(_fetched(db).values()) == ["new", "new"]


@pytest.mark.parametrize("ip, kind", [
    ("127.0.0.2", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("172.16.5.4", "private"), ("100.64.0.1", "private"), ("169.254.169.254", "link-local"),
    ("::1", "loopback"), ("fd00::1", "unique local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("::ffff:127.0.0.1", "loopback"),
    ("8.8.8.8", None), ("2001:4860:4860::8888", None),
])
def test_address_classes(ip, kind):
    assert address_class(ip) == kind


def test_allow_names_networks_and_hosts():
    allow = Allowance.parse(["10.20.0.0/16", "intranet.example", "*.corp.example"])
    assert allow.refuses("x", "10.20.3.4") is None
    assert allow.refuses("x", "10.21.3.4") == "a private address"
    assert allow.refuses("intranet.example", "10.99.0.1") is None
    assert allow.refuses("wiki.corp.example", "192.168.1.1") is None
    assert allow.refuses("corp.example.evil", "192.168.1.1") == "a private address"
    with pytest.raises(ValueError, match="neither a network"):
        Allowance.parse(["10.0.0.0/33x"])


@pytest.mark.parametrize("value, says", [
    ('["not a host!"]', "allow: 'not a host!' is neither a network (CIDR) nor a host name"),
    ('"10.0.0.0/8"', "allow: a list of networks and host names"),
])
def test_a_bad_allow_is_one_config_error(write_config, value, says):
    config = write_config(f'[fetch]\nallow = {value}\n[[source]]\nname = "a"\n'
                          'url = "https://example.org/"\n')
    out = run_cli("--config", str(config), "sources")
    assert out.returncode == 2
    assert says in out.stderr and "Traceback" not in out.stderr


REFRESH = ("<html><head><meta http-equiv=\"refresh\" content=\"0; url={to}\"></head><body>"
           "<p>Puslapis perkeltas.</p></body></html>")


@pytest.mark.parametrize("allow, result", [("", "error:blocked"), ('[fetch]\nallow = ["127.0.0.2"]',
                                                                   "new")])
def test_a_meta_refresh_is_a_url_the_page_chose(tmp_path, inward, allow, result):
    inward.put("/plans", PAGE.format(href="/plan.pdf").encode())
    with Server() as site:
        site.put("/moved", REFRESH.format(to=inward.url("/plans")).encode())
        config = tmp_path / "docwatch.toml"
        config.write_text(f'{allow}\n[[source]]\nname = "plans"\nurl = "{site.url("/moved")}"\n'
                          "robots = false\n", encoding="utf-8")
        done = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once")
        listed = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "sources")
    assert "Traceback" not in done.stderr
    assert list(_fetched(tmp_path / "w.db").values()) == [result]
    assert inward.count("/plans") == (result == "new")
    if result != "new":
        assert done.stderr.rstrip().endswith("[blocked]")
        assert "blocked" in listed.stdout and "loopback address" in listed.stdout


def test_a_meta_refresh_on_the_sources_host_is_followed(tmp_path):
    with Server() as site:
        site.put("/moved", REFRESH.format(to="/plans").encode())
        site.put("/plans", PAGE.format(href="/plan.pdf").encode())
        config = tmp_path / "docwatch.toml"
        config.write_text(f'[[source]]\nname = "plans"\nurl = "{site.url("/moved")}"\n'
                          "robots = false\n", encoding="utf-8")
        done = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once")
        shown = run_cli("--db", str(tmp_path / "w.db"), "show", "plans")
    assert done.returncode == 0, done.stderr
    assert "Defence plan 2026" in shown.stdout and "perkeltas" not in shown.stdout


@pytest.mark.parametrize("html, target", [
    ('<meta http-equiv="refresh" content="3;URL=\'/lt/\'">', "http://s.example/lt/"),
    ("<META HTTP-EQUIV=Refresh CONTENT='0, url=https://t.example/a?b=1&amp;c=2'>",
     "https://t.example/a?b=1&c=2"),
    ('<meta http-equiv="refresh" content="300; url=/other">', None),  # a reload, not a move
    ('<meta http-equiv="refresh" content="30">', None),
    ('<meta http-equiv="refresh" content="0; url=/page">', None),  # itself
    ('<noscript><meta http-equiv="refresh" content="0; url=/nojs"></noscript>', None),
    ('<!-- <meta http-equiv="refresh" content="0; url=/old"> -->', None),
])
def test_which_meta_refresh_is_followed(html, target):
    from docwatch.fetch import meta_refresh
    from docwatch.models import Fetched

    page = Fetched(url="http://s.example/page", final_url="http://s.example/page",
                   status_code=200, body=f"<html><head>{html}</head><body>x</body></html>".encode(),
                   content_type="text/html")
    assert meta_refresh(page) == target


def _rendering(api: str, ws: str = "") -> bytes:
    """An app page whose script draws its list from `api` (and opens a WebSocket to `ws`)."""
    return ("<html lang='en'><body><main><h1>Plans</h1><p>The Ministry's plans for the coming "
            "years, as adopted by the Government.</p><ul id='list'></ul></main><script>"
            + (f"try {{ new WebSocket('{ws}'); }} catch (e) {{}}" if ws else "")
            + f"fetch('{api}').then(r => r.json()).then(items => {{ document.getElementById("
            "'list').innerHTML = items.map(i => '<li>' + i + '</li>').join(''); })"
            ".catch(() => {});</script></body></html>").encode()


@needs_chromium
@pytest.mark.parametrize("allowed", [False, True])
def test_a_rendered_pages_script_never_reaches_an_inward_host(tmp_path, inward, allowed):
    import socket

    inward.put("/api.json", Response(b'["Secret internal plan"]', headers={
        "Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}))
    listener = socket.create_server(("127.0.0.2", 0))  # a WebSocket would connect here
    listener.setblocking(False)
    with Server() as site, listener:
        ws = f"ws://127.0.0.2:{listener.getsockname()[1]}/live"
        site.put("/plans", _rendering(inward.url("/api.json"), ws))
        config = tmp_path / "docwatch.toml"
        config.write_text(("[fetch]\nallow = [\"127.0.0.2\"]\n" if allowed else "")
                          + f'[[source]]\nname = "plans"\nurl = "{site.url("/plans")}"\n'
                          'robots = false\nrender = "browser"\n', encoding="utf-8")
        db = str(tmp_path / "w.db")
        done = run_cli("--db", db, "--config", str(config), "fetch", "--once")
        listed = run_cli("--db", db, "--config", str(config), "sources")
        shown = run_cli("--db", db, "show", "plans")
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing Chromium sends by itself gets out
    assert done.returncode == 0, done.stderr
    assert inward.count("/api.json") == int(allowed)
    assert ("Secret internal plan" in shown.stdout) is allowed
    if allowed:
        assert "[blocked]" not in done.stderr
        assert list(_fetched(tmp_path / "w.db").values()) == ["new"]
    else:
        [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("docwatch: plans:")]
        assert line.startswith(f"docwatch: plans: the page's script asked for "
                               f"{inward.url('/api.json')}: 127.0.0.2 is a loopback address")
        assert line.endswith("[blocked]")
        assert readme_shows(line.replace(inward.url(""), "http://127.0.0.2:8080"))
        assert list(_fetched(tmp_path / "w.db").values()) == ["new:blocked"]
        assert "new; blocked: the page's script asked for" in listed.stdout
