"""A page's memory of its own history (issue 37): news is what the page has not shown before.

Histories of our own ministry page, each checked by `docwatch fetch --once` as a user runs it
(and by `docwatch run`, and rebuilt by `reparse`): a placeholder that lasts is a status pair,
never the baseline; a flip between two variants alerts the first time each way at most; a
page really replaced by a short one is told at once, and its next change too.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from docwatch.demo.history import after, entry, urm_page, urm_text

from .conftest import run_cli
from .daemon import Run
from .servers import Response, Server
from .test_notify import Webhook, smtp  # noqa: F401 - a fixture

DATE = "2024-07-15"
TEXT = urm_text(DATE)
PAGE = urm_page(TEXT, DATE)
# The same page on other days: its calendar, counters and session ids differ.
PAGE_LATER = urm_page(TEXT, "2024-07-16")
LOADING = urm_page("<p>Loading...</p>", DATE)
EXTRA = ("The Government approved the plan to host a NATO air defence rotation in Šiauliai "
         "from 2025, with 600 Allied troops.")
FLIPPED = urm_page(after(TEXT, "Sweden joined NATO as the 32nd member", f"<p>{EXTRA}</p>"), DATE)
SHORT_ITEMS = [
    ("1 April 2025", "The German Panzerbrigade 45 was formally established in Lithuania."),
    ("22 May 2025", "The German brigade was inaugurated in Vilnius and named \"Lithuania\"."),
    ("24-25 June 2025", "At the NATO Summit in The Hague Allies committed to invest 5 % of GDP "
                        "a year in defence and security by 2035."),
]
NEW_ITEM = ("8 September 2025", "Lithuania and Poland agreed on a joint air policing exercise "
            "over the Suwałki corridor.")


def short_page(items) -> bytes:
    """Our page really replaced by a short one: its heading and a few dated items."""
    body = "<h2>NATO activities and Lithuania’s participation</h2>\n" + "\n".join(
        entry(d, t) for d, t in items)
    return urm_page(body, "2025-07-01")


@dataclass
class Check:
    alerts: list[str] = field(default_factory=list)  # categories of the alerting changes
    quiet: list[str] = field(default_factory=list)  # categories recorded without alert
    events: list[str] = field(default_factory=list)  # status events
    result: str = ""
    output: str = ""  # what `fetch --once` printed


def checks_since(db: Path, seen: dict[str, int]) -> Check:
    """What the latest check recorded: changes and events newer than `seen` (updated)."""
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id, category, alert FROM changes WHERE id > ? ORDER BY id",
                           [seen.get("change", 0)]).fetchall()
        events = con.execute("SELECT id, event FROM events WHERE id > ? ORDER BY id",
                             [seen.get("event", 0)]).fetchall()
        result = con.execute("SELECT result || coalesce(':' || error_kind, '') FROM fetches "
                             "ORDER BY id DESC LIMIT 1").fetchone()[0]
    con.close()
    seen["change"] = max([seen.get("change", 0)] + [r[0] for r in rows])
    seen["event"] = max([seen.get("event", 0)] + [r[0] for r in events])
    return Check([c for _, c, a in rows if a], [c for _, c, a in rows if not a],
                 [e for _, e in events], result)


def replay(tmp_path: Path, versions: list[bytes], options: str = "", *flags: str
           ) -> tuple[list[Check], Path, Path]:
    """Each version served in turn at one URL, `docwatch fetch --once` (with `flags`) after
    each; `options` are more lines of the source's table."""
    db, config = tmp_path / "w.db", tmp_path / "docwatch.toml"
    seen: dict[str, int] = {}
    out = []
    with Server() as site:
        config.write_text(f'[[source]]\nname = "urm"\nurl = "{site.url("/page")}"\n'
                          f"robots = false\n{options}", encoding="utf-8")
        for body in versions:
            site.put("/page", Response(body))
            done = run_cli("--db", str(db), "--config", str(config), "fetch", "--once", *flags)
            assert done.returncode in (0, 1), done.stderr
            assert "Traceback" not in done.stderr
            out.append(checks_since(db, seen))
            out[-1].output = done.stdout
    return out, db, config


def history_of(db: Path) -> list[tuple[int, str, int]]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT snapshot_id, category, alert FROM changes "
                           "ORDER BY snapshot_id, id").fetchall()
    con.close()
    return rows


def assert_reparse_keeps(db: Path, config: Path) -> None:
    """Rebuilt from the raw pages as another parser's history would be: the same changes."""
    before = history_of(db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE snapshots SET parsed_with = 'an older parser'")
        con.execute("DELETE FROM changes")  # whatever was there, reparse makes it anew
    con.close()
    rebuilt = run_cli("--db", str(db), "--config", str(config), "reparse")
    assert rebuilt.returncode == 0 and "rebuilt" in rebuilt.stdout, rebuilt.stderr
    assert history_of(db) == before


def test_a_placeholder_that_lasts_is_a_status_pair_and_never_the_baseline(tmp_path):
    checks, db, config = replay(tmp_path, [PAGE, LOADING, LOADING, LOADING, PAGE_LATER])
    assert [c.alerts for c in checks] == [[]] * 5
    assert [c.events for c in checks] == [[], [], [], ["content_unreadable"], ["content_back"]]
    assert [c.result for c in checks] == ["new", "error:placeholder", "error:placeholder",
                                          "error:placeholder", "noise_only"]
    with sqlite3.connect(db) as con:  # the placeholder never became a version, nor the return
        assert con.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1  # (noise only)
    con.close()
    assert_reparse_keeps(db, config)


def test_a_flip_between_two_variants_alerts_the_first_time_each_way_at_most(tmp_path):
    checks, db, config = replay(tmp_path, [PAGE, FLIPPED] * 3)
    alerts = [c.alerts for c in checks]
    assert alerts[1] == ["content_added"]  # the paragraph's first appearance is news
    assert 1 <= sum(map(len, alerts)) <= 2, alerts
    assert alerts[3:] == [[], [], []]  # known variants: recorded, restored, quiet
    assert [c.quiet for c in checks[3:]] == [["restored"]] * 3
    assert_reparse_keeps(db, config)


def test_without_memory_every_flip_alerts(tmp_path):
    """The rule is the memory: with `memory = {versions = 0}` each flip is news again."""
    checks, _, _ = replay(tmp_path, [PAGE, FLIPPED] * 3, "memory = {versions = 0}\n")
    assert sum(len(c.alerts) for c in checks) == 5


def test_a_page_really_replaced_by_a_short_one_is_told_at_once_and_then_diffed(tmp_path):
    checks, db, config = replay(tmp_path, [PAGE, short_page(SHORT_ITEMS),
                                           short_page([NEW_ITEM, *SHORT_ITEMS])])
    assert [c.alerts for c in checks] == [[], ["page_replaced"], ["new_entry"]]
    assert [c.result for c in checks] == ["new", "changed", "changed"]
    assert_reparse_keeps(db, config)


def test_the_page_replaced_alert_says_how_much_and_quotes_the_new_page(tmp_path):
    checks, _, _ = replay(tmp_path, [PAGE, short_page(SHORT_ITEMS)])
    out = checks[-1].output
    assert "~ PAGE REPLACED" in out
    quoted = [line for line in out.splitlines() if "characters:" in line]
    assert len(quoted) == 1 and "Panzerbrigade 45" in quoted[0], out
    assert quoted[0].split('"')[1].split(":")[0].endswith(" characters")  # "9,614 → 431 characters"


@pytest.mark.parametrize("placeholder", [
    LOADING,
    urm_page("<h2>Too many requests</h2><p>Please try again in a few minutes.</p>", DATE),
    urm_page("<p>This website uses cookies to improve your experience and to collect "
             "statistics; click Accept to agree to the use of cookies on this site, or change "
             "your settings at any time.</p><button>Accept</button>", DATE),
    urm_page("<h1>Error 500</h1><p>The server encountered an internal error and was unable to "
             "complete your request.</p><p>Please contact the server administrator to inform "
             "them of the time this error occurred.</p><p>More information about this error "
             "may be available in the server error log.</p>", DATE),
], ids=["loading", "rate-limit", "consent", "server-error"])
def test_a_placeholder_is_held_however_it_is_worded(tmp_path, placeholder):
    checks, _, _ = replay(tmp_path, [PAGE, placeholder, PAGE])
    assert [c.result for c in checks] == ["new", "error:placeholder", "unchanged"]
    assert [c.alerts for c in checks] == [[], [], []]


def test_the_same_under_docwatch_run(tmp_path):
    """A real scheduler: a placeholder three checks long, the page back, then A/B flips."""
    versions = [PAGE, LOADING, LOADING, LOADING, PAGE_LATER, FLIPPED, PAGE, FLIPPED, PAGE]
    with Server() as site:
        site.put("/page", Response(versions[0]))
        run = Run(tmp_path, '[run]\ncatch_up = "1s"\nheartbeat = "1s"\ngrace = "3s"\n'
                  f'[[source]]\nname = "urm"\nurl = "{site.url("/page")}"\nrobots = false\n'
                  'every = "1s"\n')
        try:
            for k, body in enumerate(versions[1:], 2):
                run.wait("check", n=k - 1, source="urm")
                site.put("/page", Response(body))
            run.wait("check", n=len(versions), source="urm")
        finally:
            assert run.stop() == 0
    checks = run.of("check", source="urm")[:len(versions)]
    with sqlite3.connect(run.db) as con:
        alerts = con.execute("SELECT category FROM changes WHERE alert = 1").fetchall()
        events = [e for (e,) in con.execute("SELECT event FROM events ORDER BY id")]
    assert [c["result"] for c in checks[:5]] == ["new"] + ["error"] * 3 + ["noise_only"]
    assert events == ["content_unreadable", "content_back"]
    assert sorted(a for (a,) in alerts) == ["content_added", "content_removed"]


def test_status_events_in_changes_and_the_feed(tmp_path):
    import feedparser

    _, db, config = replay(tmp_path, [PAGE, LOADING, LOADING, LOADING, PAGE])
    listed = run_cli("--db", str(db), "changes", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["changes"] == []
    assert [e["event"] for e in data["status"]] == ["content_back", "content_unreadable"]
    assert data["status"][1]["detail"].startswith(
        "3 checks in a row could not read the page's content; the last: the page's text "
        "collapsed to")
    assert {e["source"] for e in data["status"]} == {"urm"}
    text = run_cli("--db", str(db), "changes", "--status").stdout.splitlines()
    assert [line.split("  ")[2] for line in text[::2]] == ["✓ content back",
                                                            "⚠ content not readable"]
    assert run_cli("--db", str(db), "changes").stdout.strip() == "no changes recorded"
    feed = feedparser.parse(run_cli("--db", str(db), "feed").stdout)
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["urm · ✓ content back",
                                               "urm · ⚠ content not readable"]
    assert [e.tags[0].term for e in feed.entries] == ["content_back", "content_unreadable"]
    again = feedparser.parse(run_cli("--db", str(db), "feed").stdout)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]


def test_status_events_reach_email_and_webhooks_that_want_them(tmp_path, smtp, httpserver):
    box, mailto = smtp
    hook, changes_only = Webhook(httpserver), Webhook(httpserver, "/changes-only")
    db, config = tmp_path / "w.db", tmp_path / "docwatch.toml"
    with Server() as site:
        config.write_text(
            f'[[source]]\nname = "urm"\nurl = "{site.url("/page")}"\nrobots = false\n\n'
            f'[[notify]]\nurl = "{mailto}"\n\n'
            f'[[notify]]\nurl = "{hook.url}"\ncategories = ["status"]\n\n'
            f'[[notify]]\nurl = "{changes_only.url}"\ncategories = ["new_entry"]\n',
            encoding="utf-8")
        for body in [PAGE, LOADING, LOADING, LOADING, PAGE]:
            site.put("/page", Response(body))
            out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
            assert out.returncode in (0, 1), out.stderr
    assert out.stdout.startswith("urm: ✓ content back: the page's content is back after 3 "
                                 "check(s) that could not read it")
    assert [m["Subject"] for m in box.messages] == ["urm · ⚠ content not readable",
                                                     "urm · ✓ content back"]
    mail = box.messages[1].get_body(("plain",)).get_content()
    assert "Content back: the page's content is back after 3 check(s)" in mail
    assert site.url("/page") in mail
    assert [(m["title"], m["message"].splitlines()[0]) for m in hook.received] == [
        ("urm · ⚠ content not readable", "Content not readable: 3 checks in a row could not "
         "read the page's content; the last: the page's text collapsed to 10 characters from "
         f"{len_text(PAGE):,}: a placeholder, an error or consent page, not the page"),
        ("urm · ✓ content back", "Content back: the page's content is back after 3 check(s) "
         "that could not read it")]
    assert changes_only.received == []  # it names a category of changes only


def len_text(page: bytes) -> int:
    from docwatch.diffing import text_size
    from docwatch.parsing import parse

    return text_size(parse(page))


def _doc(*sections: tuple[str, list[str]]):
    from docwatch.models import Block, Document, Section

    return Document("Partners", tuple(Section((h,), tuple(Block("item", t) for t in items))
                                      for h, items in sections))


def test_a_second_copy_of_a_passage_the_page_still_shows_is_news():
    """Only a return is restored: "Ukraine" added to the partners while the page lists it
    among the candidates all along alerts."""
    from docwatch.diffing import diff
    from docwatch.recall import Memory, recall

    v1 = _doc(("Partners", ["Poland", "Latvia"]), ("Candidates", ["Ukraine", "Georgia"]))
    v2 = _doc(("Partners", ["Poland", "Latvia", "Estonia"]), ("Candidates", ["Ukraine", "Georgia"]))
    v3 = _doc(("Partners", ["Poland", "Latvia", "Estonia", "Ukraine"]),
              ("Candidates", ["Ukraine", "Georgia"]))
    changes = recall(diff(v2, v3), Memory.of([v1, v2]))
    assert [(c.category, c.new_text, c.alert) for c in changes] == [
        ("content_added", "Ukraine", True)]
    # Estonia gone, then back: restored, and gone again: the removal was heard of before.
    v4 = _doc(("Partners", ["Poland", "Latvia"]), ("Candidates", ["Ukraine", "Georgia"]))
    assert [c.category for c in recall(diff(v4, v2), Memory.of([v1, v2, v4]))] == ["restored"]
    assert [c.category for c in recall(diff(v2, v4), Memory.of([v1, v2, v4, v2]))] == [
        "restored"]
    assert [(c.category, c.alert) for c in recall(diff(v2, v4), Memory.of([v1, v2]))] == [
        ("content_removed", True)]  # its first removal is news


@pytest.mark.parametrize("memory, reason", [
    ("{versions = -1}", "memory: versions: must be a whole number (0 or more)"),
    ("{days = 0}", "memory: days: must be a positive number of days"),
    ("{weeks = 2}", "memory: must be a table such as {versions = 10, days = 30}"),
    ("10", "memory: must be a table such as {versions = 10, days = 30}"),
])
def test_a_bad_memory_window_is_one_config_error(write_config, memory, reason):
    config = write_config('[[source]]\nname = "urm"\nurl = "https://example.org/"\n'
                          f"memory = {memory}\n")
    out = run_cli("--config", str(config), "sources")
    assert out.returncode == 2
    assert out.stderr.strip().endswith(f"source 'urm': {reason}"), out.stderr
