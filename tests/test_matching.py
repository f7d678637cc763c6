"""The words an analyst follows: `match` on [[notify]] and on a source, `changes --match`,
`feed --match`, the served feed's `?match=` and the reading view's words field."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from docwatch.demo.history import urm_page
from docwatch.demo.replay import run_demo
from docwatch.feed import entry_id
from docwatch.matching import BadTerm, Terms, parse_term, words
from docwatch.models import Change, NotifyTarget, Source
from docwatch.store import Store
from tests.conftest import run_cli
from tests.servers import Server
from tests.test_notify import Webhook, run_checks

FOLLOWED = ("Ukrain*", '"Vilnius summit"')
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("term, text, found", [
    ("Ukrain*", "Lietuva toliau teiks paramą Ukrainai", True),
    ("Ukrain*", "UKRAINOS gynybos ministras", True),
    ("Ukrain*", "training of Ukrainian soldiers", True),
    ("Ukraina", "parama Ukrainą pasiekė", True),  # a word, its marks aside
    ("Ukraina", "parama Ukrainai", False),  # a word is the whole word
    ("lodz", "Sutartis pasirašyta Łodzėje ir Łódź", True),  # a stroke is no letter of its own
    ("kobenhavn", "Mødet i København", True),
    ('"Vilnius summit"', "the Vilnius  Summit Communiqué", True),
    ('"Vilnius summit"', "a summit in Vilnius", False),  # a phrase keeps its order
    ("NATO summit", "a summit of NATO", True),  # words: all of them, anywhere
    ("NATO OR EU", "the EU Council", True),
    ("NATO NOT Russia", "NATO and Russia", False),
    ("NATO NOT Russia", "NATO and Georgia", True),
    ('"2,5 proc."', "skirti 2,5 proc. BVP", True),
    ("Straße", "in der Strasse", True),  # case folded as Unicode folds it
])
def test_a_term_is_found_as_the_page_writes_it(term, text, found):
    assert Terms.of([term]).mentions(text, None, ()) is found


@pytest.mark.parametrize("term, says", [
    ('"Vilnius summit', "a quote is not closed"),
    ("NATO AND", "AND needs a word on each side"),
    ("OR NATO", "OR needs a word on each side"),
    ("*", "a * ends a stem of at least one letter"),
    ("Uk*raine", "a * ends a stem"),
    ('"Vilni* summit"', "only its last word may be a stem"),
    ("NOT NATO", "NOT needs a word on each side"),
])
def test_a_bad_term_says_what_is_wrong(term, says):
    with pytest.raises(BadTerm, match=re.escape(says)):
        parse_term(term)


def test_words_ignore_case_and_marks_in_every_script():
    assert words("Łódź København ĐAKOVO Ελλάδα Україна ﬁnal") == [
        "lodz", "kobenhavn", "dakovo", "ελλαδα", "украіна", "final"]


def _mentions(change: dict) -> bool:
    """The test's own reading: the English demo's texts hold the words as written."""
    text = " ".join([change.get("old_text") or "", change.get("new_text") or "",
                     *change["section"]]).casefold()
    return "ukrain" in text or "vilnius summit" in text


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    """The demo's history with a channel that follows Ukraine and the Vilnius summit."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        hook = Webhook(server)
        db = tmp_path_factory.mktemp("matching") / "demo.db"
        run_demo(str(db), echo=lambda *a: None,
                 targets=(NotifyTarget(hook.url, match=FOLLOWED),)).close()
        yield db, [c for posted in hook.received for c in posted["changes"]]
    finally:
        server.stop()


def test_a_channel_gets_exactly_the_alerts_that_mention_its_terms(followed):
    db, delivered = followed
    with Store(db, readonly=True) as store:
        alerts = [c.to_dict() for _, c in store.changes()]
    expected = [c for c in alerts if _mentions(c)]
    assert len(expected) >= 4 and len(expected) < len(alerts)  # some alerts are not followed
    key = lambda c: (c["source"], c["category"], c["old_text"], c["new_text"])
    assert sorted(map(key, delivered)) == sorted(map(key, expected))


def test_changes_match_and_the_feed_agree(followed):
    db, delivered = followed
    args = [a for term in FOLLOWED for a in ("--match", term)]
    out = run_cli("--db", str(db), "changes", "--json", *args)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)["changes"]
    assert len(listed) == len(delivered)
    fields = set(Change.__dataclass_fields__)
    ids = {entry_id(c, Change(**{k: v for k, v in c.items() if k in fields})) for c in listed}
    feed = run_cli("--db", str(db), "feed", *args)
    assert feed.returncode == 0, feed.stderr
    root = ET.fromstring(feed.stdout)
    assert {e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")} == ids
    assert "mentioning Ukrain*" in root.findtext(f"{ATOM}title")
    text = run_cli("--db", str(db), "changes", "--match", "Ukrain*")
    assert text.returncode == 0 and text.stdout.count("\n            ") == sum(
        "ukrain" in json.dumps(c).casefold() for c in listed)


def test_a_bad_match_is_one_line_and_exit_2(followed):
    db, _ = followed
    out = run_cli("--db", str(db), "changes", "--match", '"Vilnius')
    assert out.returncode == 2 and "a quote is not closed" in out.stderr
    assert len(out.stderr.splitlines()) == 1


LT_PAGE = """<html lang="lt"><body><main><h1>Tarptautinis bendradarbiavimas</h1>
<h2>Naujienos</h2>{extra}<p>Krašto apsaugos ministerija bendradarbiauja su partneriais.</p>
<h2>Kontaktai</h2><p>{phone}</p></main></body></html>"""


def _lt(extra: str = "", phone: str = "Tel. (8 5) 273 5600") -> bytes:
    return LT_PAGE.format(extra=extra, phone=phone).encode()


def test_lithuanian_pages_alert_on_every_inflection_and_nothing_else(httpserver, tmp_path):
    hook = Webhook(httpserver)
    store = Store(tmp_path / "w.db")
    with Server() as page:
        source = Source("kam-lt", page.url("/page"))
        run_checks(store, source, (NotifyTarget(hook.url, match=FOLLOWED),), page, [
            _lt(),
            _lt("<p>Lietuva toliau teiks paramą Ukrainai.</p>"),
            _lt("<p>Lietuva toliau teiks paramą Ukrainai.</p>"
                "<p>Ukrainos gynybos ministras lankėsi Vilniuje.</p>", phone="Tel. 8 700 00000"),
            _lt("<p>Lietuva toliau teiks paramą Ukrainai.</p>"
                "<p>Ukrainos gynybos ministras lankėsi Vilniuje.</p>"
                "<p>Estijos delegacija atvyko į Kauną.</p>", phone="Tel. 8 700 00000"),
        ])
    delivered = [c["new_text"] for posted in hook.received for c in posted["changes"]]
    assert delivered == ["Lietuva toliau teiks paramą Ukrainai.",
                         "Ukrainos gynybos ministras lankėsi Vilniuje."]
    # The edits that mention neither alerted all the same; this channel did not want them.
    assert {c.new_text for _, c in store.changes()} >= {"Tel. 8 700 00000",
                                                        "Estijos delegacija atvyko į Kauną."}


def test_a_sources_match_makes_the_other_changes_quiet(tmp_path):
    store = Store(tmp_path / "w.db")
    with Server() as page:
        source = Source("kam-lt", page.url("/page"), match=("Ukrain*",))
        run_checks(store, source, (), page, [
            _lt(), _lt("<p>Ukrainos gynybos ministras lankėsi Vilniuje.</p>",
                       phone="Tel. 8 700 00000")])
    alerting = [c.new_text for _, c in store.changes()]
    recorded = [c.new_text for _, c in store.changes(alerts_only=False)]
    assert alerting == ["Ukrainos gynybos ministras lankėsi Vilniuje."]
    assert "Tel. 8 700 00000" in recorded  # recorded, quiet


def test_match_in_the_config_is_checked_at_load(tmp_path, write_config):
    config = write_config('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n'
                          'match = ["\\"Vilnius"]\n')
    out = run_cli("--config", str(config), "sources")
    assert out.returncode == 2
    assert "source 'a': match: '\"Vilnius': a quote is not closed" in out.stderr
    assert len(out.stderr.splitlines()) == 1


def test_demo_page_is_english():  # the demo's oracle above reads English words as written
    assert b'lang="en"' in urm_page("<p>x</p>", "2024-07-15")
