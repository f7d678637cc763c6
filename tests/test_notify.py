"""Alerts reach a real JSON webhook through Apprise, via the outbox, exactly once."""

from __future__ import annotations

import json

import sqlite_utils
from pytest_httpserver import HTTPServer

from docwatch.demo.history import urm_page, urm_text

from .conftest import run_cli

PAGE = "/en/nato/995"


def _serve_versions(httpserver: HTTPServer):
    """Serve the page; returns a function that puts up the version of a date."""
    from werkzeug import Response

    current = {}
    httpserver.expect_request(PAGE).respond_with_handler(
        lambda request: Response(current["body"], content_type="text/html"))

    def put(date: str) -> None:
        current["body"] = urm_page(urm_text(date), date)

    return put


def test_alerts_are_delivered_to_a_json_webhook(httpserver: HTTPServer, tmp_path, write_config):
    hook = f"json://127.0.0.1:{httpserver.port}/hooks/docwatch"
    config = write_config(f"""
[[source]]
name = "urm-nato"
url = "{httpserver.url_for(PAGE)}"

[[notify]]
url = "{hook}"
categories = ["new_entry", "revised_figure"]
""")
    db = tmp_path / "w.db"
    received = []

    def receive(request):
        from werkzeug import Response

        received.append(json.loads(request.data))
        return Response("ok")

    httpserver.expect_request("/hooks/docwatch", method="POST").respond_with_handler(receive)
    put = _serve_versions(httpserver)
    for date in ("2023-07-20", "2024-04-02", "2024-04-02"):
        put(date)
        result = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
        assert result.returncode == 0, result.stderr
    assert len(received) == 1  # one message per check with alerts, none for the unchanged one
    message = received[0]
    assert message["title"].startswith("urm-nato · Lithuania's membership")
    assert "~ FIGURE" in message["message"] and "2.5 % → 3 %" in message["message"]
    assert "+ NEW ENTRY" in message["message"] and "7 March 2024" in message["message"]
    assert "Continue participation" not in message["message"]  # filtered by category
    rows = list(sqlite_utils.Database(db).query("select status, attempts from deliveries"))
    assert rows == [{"status": "sent", "attempts": 1}]


def test_an_unreachable_channel_stays_in_the_outbox(httpserver: HTTPServer, tmp_path, write_config):
    config = write_config(f"""
[[source]]
name = "urm-nato"
url = "{httpserver.url_for(PAGE)}"

[[notify]]
url = "json://127.0.0.1:9/nobody"
""")
    db = tmp_path / "w.db"
    put = _serve_versions(httpserver)
    for date in ("2023-07-20", "2024-04-02"):
        put(date)
        assert run_cli("--db", str(db), "--config", str(config), "fetch", "--once").returncode == 0
    rows = list(sqlite_utils.Database(db).query("select status, attempts, last_error from deliveries"))
    assert rows == [{"status": "pending", "attempts": 1,
                     "last_error": "the channel did not accept the message"}]
