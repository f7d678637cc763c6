"""Alerts through Apprise to a real SMTP server and a real JSON webhook, via the outbox;
digests; the Atom feed; escaping (issue 6)."""

from __future__ import annotations

import email
import json
import re
import socket
from email import policy
from xml.etree import ElementTree

import feedparser
from docwatch.fetch import Fetcher
import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from docwatch import notify
from docwatch.feed import atom
from docwatch.models import NotifyTarget, Source
from docwatch.pipeline import check_all
from docwatch.store import Store
from docwatch.demo.history import urm_page, urm_text

from .conftest import run_cli
from .servers import Server

INJECTION = "Note: <script>alert(1)</script> and </td></table> stay text."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, f"mailto://127.0.0.1:{controller.port}?from=docwatch@example.org&to=analyst@example.org"
    controller.stop()


class Webhook:
    """A JSON webhook receiver (pytest-httpserver) that keeps what Apprise posts."""

    def __init__(self, server: HTTPServer, path: str = "/hook"):
        self.received: list[dict] = []
        self.url = f"json://127.0.0.1:{server.port}{path}"
        server.expect_request(path, method="POST").respond_with_handler(self._receive)

    def _receive(self, request):
        self.received.append(json.loads(request.data))
        return WerkzeugResponse("ok")


@pytest.fixture
def page():
    with Server() as s:
        yield s


def versions(date: str, extra: str = "") -> bytes:
    body = urm_text(date)
    if extra:
        body = body.replace("</h2>", f"</h2><p>{extra}</p>", 1)
    return urm_page(body, date)


def run_checks(store, source, targets, page, bodies, clocks=None):
    with Fetcher() as http:
        for k, body in enumerate(bodies):
            page.put("/page", body)
            clock = (lambda at=clocks[k]: at) if clocks else None
            kwargs = {"clock": clock} if clock else {}
            [result] = check_all([source], store, targets=targets, fetcher=http, **kwargs)
            assert result.ok, result.error


def test_email_has_text_and_html_parts_with_the_same_changes_and_the_webhook_gets_them(
        smtp, httpserver, page, tmp_path):
    box, mailto = smtp
    hook = Webhook(httpserver)
    store = Store(tmp_path / "w.db")
    source = Source("urm-nato", page.url("/page"))
    targets = (NotifyTarget(mailto), NotifyTarget(hook.url, categories=("revised_figure",)))
    run_checks(store, source, targets, page, [versions("2023-07-20"), versions("2024-04-02")])

    [mail] = box.messages
    assert mail["Subject"].startswith("urm-nato · Lithuania's membership")
    assert "changes" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):  # the same changes in both parts
        assert "Figure revised" in part and "2.5 % → 3 %" in part
        assert "New entry" in part and "7 March 2024" in part
        assert "Continue participation in NATO operations" in part
    assert "[-2.5-]{+3+}" in text  # the text part keeps the word diff legible
    assert '<del style="' in html and ">2.5<" in html and '<ins style="' in html and ">3<" in html

    [posted] = hook.received  # the webhook wants only revised figures
    assert "2.5 % → 3 %" in posted["message"] and "7 March 2024" not in posted["message"]
    # and the records themselves, for receivers that act on them
    [record] = posted["changes"]
    assert record["source"] == "urm-nato" and record["category"] == "revised_figure"
    assert record["figures"] == [{"old": "2.5 %", "new": "3 %"}]
    assert record["url"] == page.url("/page") and ["-", "2.5"] in record["diff"]
    assert record["section"][-1] == "Legal framework related to Lithuania’s NATO membership"
    statuses = [r["status"] for r in store.db.query("select status from deliveries")]
    assert statuses == ["sent", "sent"]


def test_page_text_that_looks_like_markup_arrives_escaped_in_the_email_and_the_feed(
        smtp, page, tmp_path):
    box, mailto = smtp
    store = Store(tmp_path / "w.db")
    source = Source("urm-nato", page.url("/page"))
    escaped = INJECTION.replace("<", "&lt;").replace(">", "&gt;")
    run_checks(store, source, (NotifyTarget(mailto),), page,
               [versions("2024-04-02"), versions("2024-04-02", extra=escaped)])
    [mail] = box.messages
    html = mail.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;/td&gt;&lt;/table&gt;" in html
    assert "<script>" not in html and "</td></table>" not in html
    assert INJECTION in mail.get_body(("plain",)).get_content()

    xml = atom(store.changes(source="urm-nato"))
    content = ElementTree.fromstring(xml).find(".//{http://www.w3.org/2005/Atom}content").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content and "<script>" not in content
    assert "&lt;/td&gt;&lt;/table&gt;" in content and "</td></table>" not in content


def test_feed_parses_and_keeps_every_entry_id_when_regenerated(tmp_path):
    db = tmp_path / "demo.db"
    from docwatch.demo.replay import run_demo

    run_demo(str(db), echo=lambda *a: None).close()
    out = tmp_path / "feed.xml"
    first = run_cli("--db", str(db), "feed", "-o", str(out))
    assert first.returncode == 0, first.stderr
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids)) == 19
    assert any("2.5 % → 3 %" in e.content[0].value for e in parsed.entries)
    assert parsed.entries[0].updated.startswith("2025-07-01")  # newest first

    # Regenerated later, and after `reparse` rewrote every change row: the same ids.
    assert run_cli("--db", str(db), "reparse").returncode == 0
    Store(db).db.execute("update snapshots set parsed_with = 'old parser'")
    assert "rebuilt" in run_cli("--db", str(db), "reparse").stdout
    again = feedparser.parse(run_cli("--db", str(db), "feed").stdout)
    assert [e.id for e in again.entries] == ids


def test_a_channel_that_is_down_is_retried_marked_failed_and_delivered_when_back(
        httpserver, page, tmp_path):
    up = Webhook(httpserver)
    port = free_port()
    down = f"json://127.0.0.1:{port}/hook"
    store = Store(tmp_path / "w.db")
    source = Source("urm-nato", page.url("/page"))
    targets = (NotifyTarget(down), NotifyTarget(up.url))
    with Fetcher() as http:
        for body in (versions("2023-07-20"), versions("2024-04-02")):
            page.put("/page", body)
            check_all([source], store, targets=targets, fetcher=http, deliver=False)
    waits: list[float] = []
    counts = notify.deliver_pending(store, targets, sleep=waits.append)
    assert counts == {"sent": 1, "failed": 1}
    assert waits == list(notify.BACKOFF)  # three attempts, backing off
    assert len(up.received) == 1  # the other channel is unaffected
    row = next(store.db.query("select status, attempts, last_error from deliveries "
                              "where channel = ?", [NotifyTarget(down).key]))
    assert row["status"] == "failed" and row["attempts"] == notify.RETRIES and row["last_error"]

    back = HTTPServer(host="127.0.0.1", port=port)
    back.start()
    try:
        revived = Webhook(back)
        assert notify.deliver_pending(store, targets) == {"sent": 1}  # the first run after it is back
        assert "2.5 % → 3 %" in revived.received[0]["message"]
        assert notify.deliver_pending(store, targets) == {}  # and never again
        assert len(revived.received) == 1 and len(up.received) == 1
    finally:
        back.stop()


def test_an_hourly_digest_sends_one_message_for_three_checks_in_the_hour(httpserver, page, tmp_path):
    hook = Webhook(httpserver)
    store = Store(tmp_path / "w.db")
    source = Source("urm-nato", page.url("/page"))
    targets = (NotifyTarget(hook.url, digest="hourly"),)
    dates = ("2022-09-01", "2023-04-12", "2023-07-20", "2024-04-02")
    clocks = ["2026-11-20T09:55:00Z", "2026-11-20T10:05:00Z", "2026-11-20T10:20:00Z",
              "2026-11-20T10:40:00Z"]
    run_checks(store, source, targets, page, [versions(d) for d in dates], clocks)
    assert hook.received == []  # the hour is not over
    assert notify.deliver_pending(store, targets, "2026-11-20T10:59:59Z") == {}
    assert notify.deliver_pending(store, targets, "2026-11-20T11:00:00Z") == {"sent": 1}
    [digest] = hook.received
    for entry in ("4 April 2023", "11-12 July 2023", "7 March 2024"):  # all three checks
        assert entry in digest["message"]
    assert "2.5 % → 3 %" in digest["message"]
    assert store.count("deliveries") == 1


def channels(*urls: str) -> str:
    """A config with one (dead) page and these notification channels."""
    return ('[[source]]\nname = "urm-nato"\nurl = "http://127.0.0.1:9/page"\n'
            + "".join(f'\n[[notify]]\nurl = "{url}"\n' for url in urls))


def test_notify_test_reports_each_channel(httpserver, tmp_path, write_config):
    hook = Webhook(httpserver)
    config = write_config(channels(hook.url, f"json://127.0.0.1:{free_port()}/nobody"))
    result = run_cli("--config", str(config), "--db", str(tmp_path / "w.db"), "notify", "--test")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sent    json://127.0.0.1:")
    assert lines[1].startswith("FAILED  json://127.0.0.1:")
    assert hook.received[0]["title"] == "docwatch · test message"


def test_notify_test_shows_channels_without_secrets_and_says_why_one_failed(
        tmp_path, write_config):
    port = free_port()
    config = write_config(channels(
        f"mailto://desk:s3cret-pw@localhost:{port}?from=docwatch@example.org&to=desk@example.org",
        f"json://hook:t0ken-xyz@127.0.0.1:{port}/hook?reply=ops@example.org"))
    result = run_cli("--config", str(config), "--db", str(tmp_path / "w.db"), "notify", "--test")
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "s3cret-pw" not in out and "t0ken-xyz" not in out
    mail, hook = result.stdout.splitlines()
    # the host, not what follows an @ in the query
    assert mail.startswith(f"FAILED  mailto://desk:****@localhost:{port}/")
    assert hook.startswith(f"FAILED  json://hook:****@127.0.0.1:{port}/hook")
    assert mail.endswith("connection refused") and hook.endswith("connection refused")
    assert "did not accept" not in out


def test_a_failed_delivery_is_one_line_not_apprise_s_three(page, tmp_path, write_config):
    port = free_port()
    page.put("/page", versions("2023-07-20"))
    config = write_config(f"""
[[source]]
name = "urm-nato"
url = "{page.url('/page')}"

[[notify]]
url = "json://127.0.0.1:{port}/hook"
""")
    db = tmp_path / "w.db"
    assert run_cli("--config", str(config), "--db", str(db), "fetch", "--once").returncode == 0
    page.put("/page", versions("2024-04-02"))
    result = run_cli("--config", str(config), "--db", str(db), "fetch", "--once")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(rf"docwatch: delivery 1 to json://127\.0\.0\.1:{port}/hook#[0-9a-f]{{8}} "
                        "failed 3 times: A Connection error occurred sending JSON notification "
                        "to 127.0.0.1; connection refused; will retry on the next run", lines[0])


@pytest.mark.parametrize("url, why", [
    ("foo://bar", "not a usable Apprise URL"),
    ("mailtos://user:pw@127.0.0.1:9?to=desk@example.org",
     "not a usable Apprise URL: Invalid ~From~ email specified"),
])
def test_a_channel_apprise_cannot_use_is_a_config_error_at_load(tmp_path, write_config, url, why):
    config = write_config(channels(url))
    for command in (("fetch", "--once"), ("sources",), ("notify", "--test")):
        result = run_cli("--config", str(config), *command, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith(f"docwatch: config error: {config}: notify[0]: url ")
        assert why in result.stderr and "pw@" not in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "docwatch.db").exists()


def test_with_base_url_every_alert_links_to_its_change_in_context(smtp, httpserver, page,
                                                                   tmp_path, write_config):
    from .conftest import serve_datasette

    box, mailto = smtp
    hook = Webhook(httpserver)
    db = tmp_path / "watch.db"
    store = Store(db)
    source = Source("urm-nato", page.url("/page"))
    targets = (NotifyTarget(mailto), NotifyTarget(hook.url, categories=("revised_figure",)))
    base = "https://docwatch.example.org/team"
    with Fetcher() as http:
        for body in (versions("2023-07-20"), versions("2024-04-02")):
            page.put("/page", body)
            [result] = check_all([source], store, targets=targets, fetcher=http, base_url=base)
            assert result.ok, result.error
    alerts = store.db.execute("SELECT id, category FROM changes WHERE alert = 1").fetchall()
    links = {i: f"{base}/-/docwatch/watch/changes/{i}" for i, _ in alerts}
    figures = [links[i] for i, category in alerts if category == "revised_figure"]
    [mail] = box.messages
    text, html = (mail.get_body((part,)).get_content() for part in ("plain", "html"))
    for link in links.values():
        assert f"See it on the page: {link}" in text
        assert f'<a href="{link}">See it on the page</a>' in html
    [posted] = hook.received
    assert [r["link"] for r in posted["changes"]] == figures
    store.close()

    config = write_config(f'[run]\nbase_url = "{base}/"\n[[source]]\nname = "urm-nato"\n'
                          f'url = "{page.url("/page")}"\n')
    out = run_cli("--db", str(db), "--config", str(config), "feed")
    assert {e.link for e in feedparser.parse(out.stdout).entries} == set(links.values())
    # The link is the Datasette plugin's page for that change.
    with serve_datasette(db) as served:
        import httpx

        shown = httpx.get(figures[0].replace(base, served), timeout=30)
    assert shown.status_code == 200 and "Figure revised" in shown.text
    assert '<ins id="change-' in shown.text or "<ins>3</ins>" in shown.text


@pytest.mark.parametrize("value", ['"docwatch.example.org"', '"https://u:pw@x.org"', "3",
                                   '"https://x.org/?token=1"'])
def test_a_base_url_that_is_no_plain_web_address_is_a_config_error(tmp_path, write_config, value):
    config = write_config(f'[run]\nbase_url = {value}\n[[source]]\nname = "p"\n'
                          'url = "https://example.org/p"\n')
    out = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch", "--once")
    assert out.returncode == 2 and "run: base_url:" in out.stderr, out.stderr
    assert "pw" not in out.stderr and "token" not in out.stderr  # never echoed
    assert not (tmp_path / "w.db").exists()
