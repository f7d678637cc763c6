"""Behind a proxy and with a private CA (issue 38): a real forward proxy on 127.0.0.1 carries
pages from a host this machine cannot resolve ("plans.intranet.example"), chosen by the environment,
by `[fetch] proxy` with credentials, per source, and for a page rendered in the browser;
NO_PROXY sends a host direct. HTTPS is tested against a server whose certificate a CA made
in the test (trustme) signed. Real CLI, real servers, real database files."""

from __future__ import annotations

import sqlite3
import ssl
from pathlib import Path

import pytest
import trustme

from docwatch.proxies import Proxies

from .conftest import needs_chromium, readme_shows, run_cli
from .proxy import ForwardProxy
from .servers import Response, Server

HOST = "plans.intranet.example"  # reserved (RFC 2606): it resolves nowhere but in the proxy
PASSWORD = "s3cret-Proxy-pw"
PAGE = ("<html lang='lt'><body><main><h1>Gynybos planai</h1><p>Ministerija skelbia gynybos "
        "planus ateinantiems metams, kaip juos patvirtino Vyriausybė.</p></main></body></html>")


def _config(tmp_path: Path, url: str, *, fetch: str = "", source: str = "") -> Path:
    path = tmp_path / "docwatch.toml"
    path.write_text(f"{fetch}\n[[source]]\nname = \"intranet-plans\"\nurl = \"{url}\"\nrobots = false\n"
                    f"{source}\n", encoding="utf-8")
    return path


def _check(tmp_path: Path, config: Path, env: dict | None = None):
    db = tmp_path / "w.db"
    done = run_cli("--db", str(db), "--config", str(config), "fetch", "--once", "-v", env=env)
    assert "Traceback" not in done.stderr
    return done, db


def _results(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        rows = [r for (r,) in con.execute("SELECT result || coalesce(':' || error_kind, '') "
                                          "FROM fetches ORDER BY id")]
    con.close()
    return rows


def _stored_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("w.db*"))


@pytest.fixture
def site():
    with Server() as server:
        server.put("/planai", PAGE.encode())
        yield server


def test_the_environments_proxy_reaches_a_host_only_it_resolves(tmp_path, site):
    with ForwardProxy({HOST: "127.0.0.1"}) as proxy:
        done, db = _check(tmp_path, _config(tmp_path, site.url("/planai", HOST)),
                          env={"HTTP_PROXY": proxy.url})
    assert done.returncode == 0, done.stderr
    assert _results(db) == ["new"]
    assert proxy.carried == [f"GET {site.url('/planai', HOST)}"]


def test_without_the_proxy_the_host_is_not_found(tmp_path, site):
    done, db = _check(tmp_path, _config(tmp_path, site.url("/planai", HOST)))
    assert _results(db) == ["error:dns"]
    assert f"host name not found: {HOST}" in done.stderr


def test_fetch_proxy_with_credentials_never_shows_the_password(tmp_path, site):
    with ForwardProxy({HOST: "127.0.0.1"}, credentials=f"analyst:{PASSWORD}") as proxy:
        config = _config(tmp_path, site.url("/planai", HOST),
                         fetch=f'[fetch]\nproxy = "{proxy.url_with("analyst:" + PASSWORD)}"')
        done, db = _check(tmp_path, config, env={"HTTP_PROXY": "http://127.0.0.1:9"})
        listed = run_cli("--db", str(db), "--config", str(config), "sources")
    assert done.returncode == 0, done.stderr
    assert _results(db) == ["new"]
    assert proxy.authorizations[-1].startswith("Basic ")  # the proxy saw them
    for shown in (done.stdout, done.stderr, listed.stdout, listed.stderr):
        assert PASSWORD not in shown
    assert PASSWORD.encode() not in _stored_bytes(tmp_path)


def test_wrong_proxy_credentials_are_one_line_of_kind_proxy(tmp_path, site):
    with ForwardProxy({HOST: "127.0.0.1"}, credentials=f"analyst:{PASSWORD}") as proxy:
        config = _config(tmp_path, site.url("/planai", HOST),
                         fetch=f'[fetch]\nproxy = "{proxy.url_with("analyst:wrong-pw")}"')
        done, db = _check(tmp_path, config)
    assert _results(db) == ["error:proxy"]
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("docwatch: intranet-plans:")]
    assert line.endswith("[proxy]") and "asks for credentials (407)" in line
    assert readme_shows(line.replace(proxy.url[len("http://"):], "proxy.example:3128"))
    assert "wrong-pw" not in done.stderr + done.stdout


def test_a_sources_own_proxy(tmp_path, site):
    with ForwardProxy({HOST: "127.0.0.1"}) as proxy:
        done, db = _check(tmp_path, _config(tmp_path, site.url("/planai", HOST),
                                            source=f'proxy = "{proxy.url}"'))
    assert done.returncode == 0, done.stderr
    assert _results(db) == ["new"] and len(proxy.carried) == 1


def test_no_proxy_sends_a_host_direct(tmp_path, site):
    with ForwardProxy() as proxy:
        done, db = _check(tmp_path, _config(tmp_path, site.url("/planai")),
                          env={"http_proxy": proxy.url, "no_proxy": "localhost,127.0.0.0/8"})
    assert done.returncode == 0, done.stderr
    assert _results(db) == ["new"] and proxy.carried == []


@pytest.mark.parametrize("entries, url, direct", [
    (("*",), "http://a.example/", True),
    (("example.org",), "http://www.example.org/", True),
    ((".example.org",), "http://example.org/", True),
    (("example.org",), "http://badexample.org/", False),
    (("10.0.0.0/8",), "http://10.2.3.4/", True),
    (("10.0.0.0/8",), "http://11.2.3.4/", False),
    (("intranet:8080",), "http://intranet:8080/", True),
    (("intranet:8080",), "http://intranet/", False),
    (("[::1]",), "http://[::1]:81/", True),
])
def test_no_proxy_reads_as_curl_reads_it(entries, url, direct):
    proxies = Proxies("http://proxy.example:3128", direct=entries)
    assert (proxies.for_url(url) is None) is direct
    assert proxies.for_url(url, own="http://own:1") == "http://own:1"  # the source's word


# --- TLS with a private CA ------------------------------------------------------------------

@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def tls_site(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", HOST).configure_cert(context)
    with Server(tls=context) as server:
        server.put("/planai", PAGE.encode())
        yield server


def test_a_private_ca_fails_as_tls_until_named(tmp_path, ca, tls_site):
    done, db = _check(tmp_path, _config(tmp_path, tls_site.url("/planai")))
    assert _results(db) == ["error:tls"]
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("docwatch: intranet-plans:")]
    assert line.startswith("docwatch: intranet-plans: TLS with 127.0.0.1 failed: certificate verify "
                           "failed") and line.endswith("[tls]")
    assert "[fetch] ca_bundle" in line

    bundle = tmp_path / "ministry-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    done, db = _check(tmp_path, _config(tmp_path, tls_site.url("/planai"),
                                        fetch='[fetch]\nca_bundle = "ministry-ca.pem"'))
    assert done.returncode == 0, done.stderr
    assert _results(db)[-1] == "new"


def test_ssl_cert_file_names_the_ca_too(tmp_path, ca, tls_site):
    bundle = tmp_path / "ministry-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    done, db = _check(tmp_path, _config(tmp_path, tls_site.url("/planai")),
                      env={"SSL_CERT_FILE": str(bundle)})
    assert done.returncode == 0, done.stderr
    assert _results(db) == ["new"]


def test_https_through_the_proxys_tunnel(tmp_path, ca, tls_site):
    bundle = tmp_path / "ministry-ca.pem"
    with ForwardProxy({HOST: "127.0.0.1"}) as proxy:
        done, db = _check(tmp_path, _config(tmp_path, tls_site.url("/planai", HOST)),
                          env={"HTTPS_PROXY": proxy.url})
        [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("docwatch: intranet")]
        assert readme_shows(line)  # the certificate is checked through the tunnel too
        ca.cert_pem.write_to_path(str(bundle))
        proxy.carried.clear()
        done, db = _check(tmp_path, _config(tmp_path, tls_site.url("/planai", HOST),
                                            fetch='[fetch]\nca_bundle = "ministry-ca.pem"'),
                          env={"HTTPS_PROXY": proxy.url})
    assert done.returncode == 0, done.stderr
    assert _results(db) == ["error:tls", "new"]
    assert proxy.carried == [f"CONNECT {HOST}:{tls_site.port}"]


@pytest.mark.parametrize("fetch, says", [
    ('proxy = "socks5://127.0.0.1:1080"', "speaks to http:// and https:// proxies"),
    ('proxy = "http://user:hidden-pw@:3128"', "names no host"),
    ('ca_bundle = "missing.pem"', "missing.pem: file not found"),
    ('ca_bundle = "docwatch.toml"', "not a PEM file of CA certificates"),
])
def test_a_bad_proxy_or_ca_bundle_is_one_config_error(tmp_path, fetch, says):
    config = _config(tmp_path, "https://example.org/", fetch=f"[fetch]\n{fetch}")
    out = run_cli("--config", str(config), "sources")
    assert out.returncode == 2
    assert says in out.stderr and "Traceback" not in out.stderr
    assert "hidden-pw" not in out.stderr


@needs_chromium
def test_a_rendered_page_and_its_scripts_requests_go_through_the_proxy(tmp_path, site):
    site.put("/app", ("<html lang='lt'><body><main><h1>Gynybos planai</h1><ul id='l'></ul>"
                      "</main><script>fetch('/api.json').then(r => r.json()).then(items => {"
                      "document.getElementById('l').innerHTML = items.map(i => '<li>' + i + "
                      "'</li>').join(''); });</script></body></html>").encode())
    site.put("/api.json", Response('["Naujas gynybos planas 2026–2030 metams"]'.encode(),
                                   headers={"Content-Type": "application/json"}))
    with ForwardProxy({HOST: "127.0.0.1"}) as proxy:
        done, db = _check(tmp_path, _config(tmp_path, site.url("/app", HOST),
                                            source='render = "browser"'),
                          env={"HTTP_PROXY": proxy.url})
    assert done.returncode == 0, done.stderr
    shown = run_cli("--db", str(db), "show", "intranet-plans")
    assert "Naujas gynybos planas 2026–2030 metams" in shown.stdout
    assert proxy.carried == [f"GET {site.url('/app', HOST)}", f"GET {site.url('/api.json', HOST)}"]


def test_a_dead_proxy_is_one_line_of_kind_proxy(tmp_path, site):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        dead = f"http://analyst:{PASSWORD}@127.0.0.1:{closed.getsockname()[1]}"
        done, db = _check(tmp_path, _config(tmp_path, site.url("/planai", HOST)),
                          env={"HTTP_PROXY": dead})
    assert _results(db) == ["error:proxy"]
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("docwatch: intranet")]
    assert line == (f"docwatch: intranet-plans: the proxy http://127.0.0.1:"
                    f"{dead.rsplit(':', 1)[1]} refused the connection [proxy]")
    assert PASSWORD not in done.stderr + done.stdout
