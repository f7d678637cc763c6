"""Secrets stay in the config: after alerts went out (and failed) through channels whose URLs
hold a password or a token, and pages were fetched with credentials in their URLs, no secret
is in any table, the database file, the JSON log or any command's output."""

from __future__ import annotations

import json
import sqlite3

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from docwatch.demo.history import urm_page, urm_text
from docwatch.migrations import LATEST
from docwatch.models import NotifyTarget
from docwatch.store import Store

from .conftest import as_schema, run_cli
from .daemon import Run
from .servers import Server
from .test_notify import Mailbox, free_port

SECRETS = ("mail-s3cret", "tls-s3cret", "hook-s3cret", "123456789:tgram-bot-s3cret-token",
           "src-pa55word", "src-t0ken-value")


def _accept_any(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)


@pytest.fixture
def smtp_with_auth():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(),
                            authenticator=_accept_any, auth_require_tls=False)
    controller.start()
    yield box, controller.port
    controller.stop()


def _everything_in(db) -> str:
    """Every value of every table, as text, and the file's bytes."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"):
        for row in conn.execute(f"SELECT * FROM [{table}]"):
            out.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row)
    conn.close()
    return "\n".join(out) + db.read_bytes().decode("latin-1")


def test_no_secret_reaches_the_database_the_log_or_any_output(
        smtp_with_auth, httpserver: HTTPServer, tmp_path, write_config):
    box, smtp_port = smtp_with_auth
    received = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: received.append(json.loads(request.data)) or WerkzeugResponse("ok"))
    with Server() as site:
        site.put("/page", urm_page(urm_text("2023-07-20"), "2023-07-20"))
        page = site.url("/page").replace("http://", "http://analyst:src-pa55word@")
        config = write_config(f"""
[run]
catch_up = "1s"
heartbeat = "1s"

[[source]]
name = "urm-nato"
url = "{page}?token=src-t0ken-value"
every = "1s"

[[notify]]
name = "desk-mail"
url = "mailto://desk:mail-s3cret@127.0.0.1:{smtp_port}?from=docwatch@example.org&to=desk@example.org"

[[notify]]
url = "mailtos://desk:tls-s3cret@127.0.0.1:{free_port()}?from=docwatch@example.org&to=desk@example.org"

[[notify]]
url = "json://hook:hook-s3cret@127.0.0.1:{httpserver.port}/hook"

[[notify]]
url = "tgram://123456789:tgram-bot-s3cret-token/4242/"
""")
        outputs = []

        def cli(*args: str) -> None:
            result = run_cli("--db", str(tmp_path / "watch.db"), "--config", str(config), *args)
            outputs.append(result.stdout + result.stderr)

        cli("fetch", "--once")
        site.put("/page", urm_page(urm_text("2024-04-02"), "2024-04-02"))
        cli("fetch", "--once")  # alerts: two channels take them, two fail
        # `docwatch run`, with its JSON log, through another version
        run = Run(tmp_path, config.read_text())
        site.put("/page", urm_page(urm_text("2024-07-15"), "2024-07-15"))
        try:
            run.wait("check", source="urm-nato", result="changed", timeout=60)
        finally:
            assert run.stop() == 0
        for args in (("sources",), ("changes", "--all"), ("changes", "--json"), ("feed",),
                     ("history", "urm-nato"), ("show", "urm-nato", "--json"), ("notify",),
                     ("notify", "--test"), ("reparse",)):
            cli(*args)
        log = "\n".join(json.dumps(e) for e in run.events)
        assert not run.of("unparsed")  # every line of the JSON log is JSON

    assert box.messages and received  # the channels that can work did
    statuses = {r for r, in sqlite3.connect(tmp_path / "watch.db").execute(
        "SELECT status FROM deliveries")}
    assert "sent" in statuses and statuses & {"failed", "abandoned"}
    stored = _everything_in(tmp_path / "watch.db")
    for secret in SECRETS:
        assert secret not in stored, secret
        assert secret not in log, secret
        for out in outputs:
            assert secret not in out, (secret, out)
    # what people see instead
    assert "desk-mail" in stored and "mailtos://desk:****@127.0.0.1" in stored
    assert "http://analyst:****@127.0.0.1" in stored and "token=****" in stored


def test_a_migration_takes_secrets_out_of_an_older_outbox(tmp_path):
    db = tmp_path / "old.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    url = "mailtos://desk:old-s3cret@mail.example.org?to=desk@example.org"
    as_schema(conn, 5)
    conn.execute("INSERT INTO deliveries (channel, title, body, status, attempts, created_at, "
                 "due_at, kind, last_error) VALUES (?, 't', 'b', 'failed', 3, "
                 "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'status', ?)",
                 [url, f"could not reach {url}: old-s3cret rejected"])
    conn.commit()
    conn.close()
    with Store(db) as store:
        assert store.schema_version == LATEST
        [row] = store.db.query("SELECT channel, shown_as, last_error FROM deliveries")
    assert "old-s3cret" not in json.dumps(row)
    assert row["channel"] == NotifyTarget(url).key  # the config's channel still finds its rows
    assert row["shown_as"].startswith("mailtos://desk:****@mail.example.org")


def test_rows_of_a_channel_no_longer_configured_are_reported_not_sent(
        tmp_path, write_config, httpserver: HTTPServer):
    received = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: received.append(1) or WerkzeugResponse("ok"))
    with Server() as site:
        site.put("/page", urm_page(urm_text("2023-07-20"), "2023-07-20"))
        hook = f"json://127.0.0.1:{httpserver.port}/hook"
        with_hook = write_config(f'[[source]]\nname = "p"\nurl = "{site.url("/page")}"\n\n'
                                 f'[[notify]]\nurl = "{hook}"\ndigest = "daily"\n')
        db = str(tmp_path / "w.db")
        run_cli("--db", db, "--config", str(with_hook), "fetch", "--once")
        site.put("/page", urm_page(urm_text("2024-04-02"), "2024-04-02"))
        run_cli("--db", db, "--config", str(with_hook), "fetch", "--once")  # queued for tonight
    other = tmp_path / "other.toml"
    other.write_text(f'[[source]]\nname = "p"\nurl = "{site.url("/page")}"\n\n'
                     f'[[notify]]\nurl = "json://127.0.0.1:{free_port()}/elsewhere"\n')
    conn = sqlite3.connect(db)
    conn.execute("UPDATE deliveries SET due_at = '2000-01-01T00:00:00Z'")  # the night has come
    conn.commit()
    result = run_cli("--db", db, "--config", str(other), "notify")
    assert result.stdout.strip() == "1 unconfigured"
    assert "wait for channel(s) no longer configured, not sent: json://127.0.0.1:" in result.stderr
    assert received == []
    assert conn.execute("SELECT status FROM deliveries").fetchall() == [("pending",)]
    again = run_cli("--db", db, "--config", str(with_hook), "notify")  # the channel is back
    assert again.stdout.strip() == "1 sent" and received == [1]
