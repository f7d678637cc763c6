"""SIGKILL at random moments: nothing recorded twice, nothing lost, every alert once (issue 5)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import threading
from collections import defaultdict

from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from docwatch.demo.history import urm_page, urm_text
from docwatch.store import Store

from .daemon import Run
from .servers import Response, Server

KILLS = 24
BASE = urm_text("2025-07-01")


def version(k: int) -> bytes:
    """The page with `k` dated entries in a chronology of its own (one more each version)."""
    entries = "".join(f"<p><strong>{n} March 2031</strong></p><p>Exercise number {n} was held.</p>"
                      for n in range(1, k + 1))
    return urm_page(BASE + "<h2>Exercises</h2>" + entries, "2025-07-01")


class Receiver:
    """A webhook that keeps every POST, by the Idempotency-Key docwatch sends."""

    def __init__(self, server: HTTPServer):
        self.posts: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()
        self.url = f"json://127.0.0.1:{server.port}/hook"
        server.expect_request("/hook", method="POST").respond_with_handler(self._receive)

    def _receive(self, request):
        with self.lock:
            self.posts[request.headers["Idempotency-Key"]].append(json.loads(request.data)["message"])
        return WerkzeugResponse("ok")


def test_killed_at_random_moments_every_change_and_alert_arrives_once(tmp_path, httpserver):
    rng = random.Random(int(os.environ.get("CRASH_SEED", "2031")))
    hook = Receiver(httpserver)
    config = f"""
[run]
catch_up = "1s"
heartbeat = "1s"
[fetch]
retries = 0
[[source]]
name = "urm-nato"
url = "URL"
every = "1s"
[[notify]]
url = "{hook.url}"
categories = ["new_entry"]
"""
    with Server() as page:
        config = config.replace("URL", page.url("/page"))
        for k in range(KILLS):
            # The page gains an entry; the server answers after a random few milliseconds so
            # the kill can land anywhere: fetching, parsing, writing, sending.
            page.put("/page", Response(version(k), delay=rng.uniform(0, 0.05)))
            run = Run(tmp_path, config)
            run.wait("started")
            threading.Event().wait(rng.uniform(0.05, 1.6))  # the random moment is the test
            run.proc.send_signal(signal.SIGKILL)
            run.proc.wait(10)

        page.put("/page", version(KILLS))
        final = Run(tmp_path, config)
        try:
            final.wait("check", n=2)  # one check catches up, the next finds nothing new
        finally:
            assert final.stop() == 0

    db = sqlite3.connect(tmp_path / "watch.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    entries = [json.loads(r[0])[-1] for r in db.execute(
        "select section from changes where category = 'new_entry'")]
    # The first version stored is the baseline: entries already on it are not changes.
    first = Store(tmp_path / "watch.db").document(1)
    baseline = {b.date for s in first.sections for b in s.blocks if b.date}
    expected = [f"{n} March 2031" for n in range(1, KILLS + 1) if f"{n} March 2031" not in baseline]
    assert len(expected) > KILLS // 2
    assert sorted(entries) == sorted(expected), list(db.execute(
        "select snapshot_id, category, section_path, substr(coalesce(new_text, old_text), 1, 60) "
        "from change_feed"))  # every change, each exactly once
    assert db.execute("select count(*) from deliveries where status != 'sent'").fetchone() == (0,)

    # Every alert reached the receiver: one message per Idempotency-Key, each entry in one.
    messages = [posts[0] for posts in hook.posts.values()]
    for entry in expected:
        assert sum(bool(re.search(rf"(?<!\d){entry}", m)) for m in messages) == 1, entry
    resent = {k: len(v) for k, v in hook.posts.items() if len(v) > 1}
    assert all(len(set(hook.posts[k])) == 1 for k in resent)  # a resend is the same message
