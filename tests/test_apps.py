"""Pages built as applications (issue 36): the demo's own history rebuilt as apps in two shapes
reads as the document pages do; a page of `div`s and `span`s is never empty; furniture told by
its shape, not its class names, never alerts and never makes a version."""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest

from docwatch.demo.apps import rebuild
from docwatch.demo.history import history, urm_page, urm_text
from docwatch.parsing import parse

from .conftest import run_cli
from .servers import Response, Server
from .test_memory import replay

VERSIONS = history()
APP_SHAPES = ("roles", "styled")


def reading(doc) -> list[tuple[tuple[str, ...], list[tuple[str | None, str]]]]:
    """Section paths with their passages' dates and words (line breaks inside a passage are
    how it is laid out, not its words)."""
    return [(s.path, [(b.date, " ".join(b.text.split())) for b in s.blocks])
            for s in doc.sections]


@pytest.mark.parametrize("shape", APP_SHAPES)
@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v.source}-{v.date}")
def test_each_app_shape_reads_into_the_document_pages_sections_and_passages(version, shape):
    document = parse(version.body, content_type=version.content_type, url="https://x.lt/p")
    app = parse(rebuild(version.body, shape, build=version.date), url="https://x.lt/p")
    assert reading(app) == reading(document)
    assert app.title == document.title


def test_the_apps_are_apps_under_class_names_generated_per_build():
    v1, v2 = (v for v in VERSIONS if v.source == "urm-nato" and v.date < "2023-05")
    for shape in APP_SHAPES:
        one, two = (rebuild(v.body, shape, build=v.date).decode() for v in (v1, v2))
        assert not re.search(r"<(?:h[1-6]|p|ul|ol|li|table|tr|td|main|nav|header|footer)\b", one)
        classes = [set(re.findall(r'class="([^"]+)"', page)) for page in (one, two)]
        assert classes[0] and not classes[0] & classes[1]
        assert ('role="heading"' in one) == (shape == "roles")


def _alerts(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT detected_at, source, category, section_path, coalesce(new_text, old_text) "
            "FROM change_feed WHERE alert ORDER BY id").fetchall()
    con.close()
    return [(*r[:4], " ".join(r[4].split())) for r in rows]


def test_the_demo_in_each_app_shape_gives_the_same_alerts(tmp_path):
    alerts = {}
    for shape in ("document", *APP_SHAPES):
        db = tmp_path / f"{shape}.db"
        done = run_cli("demo", "--db", str(db), "--shape", shape, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        alerts[shape] = _alerts(db)
    assert len(alerts["document"]) == 19
    assert alerts["roles"] == alerts["document"]
    assert alerts["styled"] == alerts["document"]


# --- a page whose text sits only in divs and spans ----------------------------------------

POLICY = [
    ("Data we collect", [
        "We collect the name and e-mail address you give us when you register for an event.",
        "We keep a record of the pages of this site you visit, for 30 days, to count visits.",
    ]),
    ("How long we keep it", [
        "Registration data is kept for 12 months after the event and then deleted.",
        "Records of requests under the access to information law are kept for 5 years.",
    ]),
    ("Your rights", [
        "You may ask to see, correct or delete the data we hold about you at any time.",
        "You may complain to the State Data Protection Inspectorate in Vilnius.",
    ]),
    ("Who receives it", [
        "Event registrations are shared with the venue only when it must check who enters.",
        "We never sell the data we hold, nor give it to anyone for their own marketing.",
    ]),
]


def span_text(policy) -> str:
    """The policy as an app draws it: boxes and spans under generated names, headings in
    bold, larger type."""
    out = ['<div class="x9a"><span class="x1" style="font-size:28px;font-weight:700">'
           "Privacy policy of the Ministry</span></div>"]
    for heading, paragraphs in policy:
        out.append(f'<div class="x9a"><span class="x2" style="font-size:20px;font-weight:600">'
                   f"{heading}</span></div>")
        out += [f'<div class="x3b"><span class="x4">{p.split(", ")[0]}</span>'
                + "".join(f'<span class="x4">, {rest}</span>' for rest in p.split(", ")[1:])
                + "</div>" for p in policy_paragraphs(paragraphs)]
    return "".join(out)


def policy_paragraphs(paragraphs: list[str]) -> list[str]:
    return paragraphs + ["These rules follow the General Data Protection Regulation, the law "
                         "on the legal protection of personal data and the Ministry's orders."]


def streamed(policy) -> bytes:
    """Streamed server rendering: the text sent in a hidden box that a script moves into
    the page's place, where a spinner waits."""
    return ('<!doctype html><html lang="en"><head><title>Privacy</title></head><body>'
            '<div id="root"><div class="x0"><template id="B:0"></template>'
            '<div class="x5">Loading…</div></div></div>'
            f'<div hidden id="S:0">{span_text(policy)}</div>'
            '<script>$RC("B:0","S:0")</script></body></html>').encode()


def in_a_dialog(policy) -> bytes:
    """The text shown over the app in a dialog; the app behind it hidden from readers."""
    return ('<!doctype html><html lang="en"><head><title>Privacy</title></head><body>'
            '<div id="app" aria-hidden="true"><div class="x0"><a href="/">Home</a></div></div>'
            f'<div role="dialog" aria-modal="true" class="x7">{span_text(policy)}</div>'
            '<script src="/app.js"></script></body></html>').encode()


def revised(policy):
    """The retention period changed, and a new right added."""
    out = [(h, list(ps)) for h, ps in policy]
    out[1][1][0] = out[1][1][0].replace("12 months", "24 months")
    out[2][1].append("You may ask us to send the data you gave us to another organisation.")
    return out


@pytest.mark.parametrize("shape", [streamed, in_a_dialog], ids=lambda f: f.__name__)
def test_a_page_of_divs_and_spans_is_never_empty_and_its_changes_alert(tmp_path, shape):
    checks, _, _ = replay(tmp_path, [shape(POLICY), shape(revised(POLICY))], "", "-v")
    assert [c.result for c in checks] == ["new", "changed"]
    assert checks[1].alerts == ["revised_figure", "content_added"]
    doc = parse(shape(POLICY))
    assert [s.path for s in doc.sections if s.blocks] == [
        ("Privacy policy of the Ministry", h) for h, _ in POLICY]
    assert doc.title == "Privacy policy of the Ministry"
    assert "visible text" in doc.metadata["content_rule"]
    assert "urm: content: visible text: the page's structure read" in checks[0].output


def test_a_short_page_beside_a_lot_of_furniture_keeps_its_structure():
    """The second reading is for text an app hides; a short page among menus is still read
    by its structure (one of the pinned EDGI pages is such a page)."""
    menus = "".join(f'<li><a href="/m{i}">Menu entry number {i}</a></li>' for i in range(200))
    page = (f"<html><body><nav><ul>{menus}</ul></nav><main><h1>Mission</h1><p>The Ministry "
            "protects the State's borders and its people.</p></main></body></html>").encode()
    doc = parse(page)
    assert [b.text for s in doc.sections for b in s.blocks] == [
        "The Ministry protects the State's borders and its people."]
    assert "content_rule" not in doc.metadata


# --- furniture by shape ---------------------------------------------------------------------

DATE = "2024-07-15"
TEXT = urm_text(DATE)
LANGUAGES = ["Lietuvių", "English (UK)", "Deutsch", "Polski", "Latviešu", "Français",
             "Română", "中文(简体)", "Русский", "Українська"]


def switcher(rng: random.Random) -> str:
    """A language switcher as platforms draw it: a choice of languages, in their own names,
    in an order that changes per request; no class names to go by."""
    chosen = rng.sample(LANGUAGES, rng.randint(4, len(LANGUAGES)))
    return "<div><ul>" + "".join(f'<li><a href="/intl/{i}/">{name}</a></li>'
                                 for i, name in enumerate(chosen)) + "</ul></div>"


def test_a_page_whose_checks_differ_only_by_furniture_alerts_nothing_and_stores_one_version(
        tmp_path):
    """Served 100 times, each time with one variant of its furniture chosen at random: a
    consent dialog (by its role, by aria-modal, or only by its buttons), a login form, a
    language switcher in a random order, links through a redirector with a fresh token."""
    rng = random.Random(36)
    shim = "/l.php?u={}&h={}".format

    def variant() -> bytes:
        token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                        for _ in range(24))
        links = "".join(f'<li><a href="{shim(quote(u, safe=""), token)}">{t}</a></li>' for u, t in [
            ("https://nato.int/cps/en/natohq/official_texts_217320.htm", "Vilnius Summit Communiqué"),
            ("https://kam.lt/en/defence-policy/", "Ministry of National Defence")])
        extra = rng.choice([
            '<div role="dialog"><p>This website uses cookies to improve your experience and '
            'to collect statistics.</p><button>Accept</button></div>',
            '<div aria-modal="true" class="x7f"><p>We value your privacy: choose which '
            'cookies we may use on this site.</p><button>Accept all</button></div>',
            '<div class="q1"><div class="q2">Mes naudojame slapukus, kad svetainė veiktų ir '
            'galėtume skaičiuoti lankytojus.</div><div><button>Sutinku</button>'
            '<button>Nesutinku</button><button>Nustatymai</button></div></div>',
            '<form action="/login"><label>User name <input name="u"></label><label>Password '
            '<input type="password" name="p"></label><button>Sign in</button></form>',
            "",
        ])
        body = (TEXT.replace("<h2>", f"{extra}<h2>", 1) + f"<h2>Links</h2><ul>{links}</ul>"
                + switcher(rng))
        return urm_page(body, DATE)

    from docwatch.fetch import Fetcher
    from docwatch.models import FetchSettings, Source
    from docwatch.pipeline import check_all
    from docwatch.store import Store

    with Server() as site, Fetcher(FetchSettings(retries=0)) as fetcher, \
            Store(tmp_path / "w.db") as store:
        source = Source("urm", site.url("/page"), robots=False)
        results = []
        for _ in range(100):
            site.put("/page", Response(variant()))
            [result] = check_all([source], store, fetcher=fetcher)
            results.append(result)
        snapshots, fetches = store.count("snapshots"), store.count("fetches")
    assert [r.changes for r in results] == [()] * 100
    assert results[0].status == "new" and {r.status for r in results[1:]} <= {
        "noise_only", "unchanged"}
    assert fetches == 100 and snapshots == 1


def test_the_same_noisy_bytes_again_are_unchanged_without_a_version(tmp_path):
    later = urm_page(TEXT, "2024-07-16")  # its counters, calendar and session ids differ
    checks, db, _ = replay(tmp_path, [urm_page(TEXT, DATE), later, later])
    assert [c.result for c in checks] == ["new", "noise_only", "unchanged"]
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1
        assert con.execute("SELECT count(DISTINCT snapshot_id) FROM fetches").fetchone()[0] == 1
    con.close()


def _passages(body: str) -> list[str]:
    page = f"<html><body><main><h1>Page</h1><p>The page's own text, long enough.</p>{body}" \
           "</main></body></html>"
    return [b.text for s in parse(page.encode()).sections for b in s.blocks][1:]


@pytest.mark.parametrize("furniture", [
    # languages by their own names, in any order; by hreflang; by a code their address has
    '<ul><li><a href="/lt/">Lietuvių</a></li><li><a href="/en/">English (UK)</a></li>'
    '<li><a href="/zh/">中文(简体)</a></li></ul>',
    '<div><a hreflang="lv" href="/a">LV</a> | <a hreflang="pl" href="/b">PL</a></div>',
    '<div><a href="/lt/page">LT</a> <a href="/en/page">EN</a> <a href="?lang=de">DE</a></div>',
    # the site's profiles on social networks
    '<div><a href="https://www.facebook.com/ministry">Facebook</a> '
    '<a href="https://www.youtube.com/@ministry">YouTube</a></div>',
    # a breadcrumb trail
    '<div><a href="/">Home</a> › <a href="/policy">Policy</a> › NATO</div>',
    # a control drawn as a link; a short form; a bar laid over the page
    '<div><a href="#print">Print</a></div>',
    '<form action="/subscribe">E-mail <input type="email" name="e"><button>Subscribe</button></form>',
    '<div style="position: fixed; bottom: 0">Chat with us</div>',
])
def test_furniture_is_told_by_its_shape(furniture):
    assert _passages(furniture) == []


@pytest.mark.parametrize("content", [
    # languages as the page's words, and a report's translations
    "<p>Courses are taught in English, Deutsch and Lietuvių.</p>",
    '<ul><li><a href="/r-lt.pdf">Lietuvių</a></li><li><a href="/r-en.pdf">English</a></li></ul>',
    # a paragraph with links to a network among its words
    '<p>Watch the <a href="https://www.youtube.com/watch?v=1">briefing</a> and read the '
    '<a href="https://www.facebook.com/ministry/posts/2">statement</a> of the Minister.</p>',
    # links joined by a bar, an accordion's questions
    '<p><a href="/a.pdf">Annual report 2024</a> | <a href="/b.pdf">Annual report 2023</a></p>',
    '<div><button aria-expanded="false">Who may apply?</button><div>Any resident.</div>'
    '<button aria-expanded="false">When?</button><div>By 1 March.</div></div>',
])
def test_content_of_the_same_words_is_kept(content):
    assert _passages(content)


def test_the_language_names_are_cldrs():
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    from autonyms import TARGET, autonyms

    assert TARGET.read_text(encoding="utf-8").splitlines() == autonyms()
    assert {"lietuvių", "deutsch", "polski", "latviešu", "français", "中文"} <= set(autonyms())


# --- links by destination -------------------------------------------------------------------

def _linked(href: str) -> bytes:
    return ("<html><body><main><h1>Reports</h1><p>The Ministry's reports, newest first, as "
            f"published.</p><ul><li><a href='{href}'>Annual report</a></li><li><a href='/about'>"
            "About the Ministry</a></li></ul></main></body></html>").encode()


@pytest.mark.parametrize("old, new, expected", [
    # a token made per request: the same link
    ("/files/report.pdf?id=7&k=Xa81kQz93LmP", "/files/report.pdf?id=7&k=Pq02nZr77TyW", []),
    # another document in the same place: news
    ("/files/report-2023.pdf", "/files/report-2024.pdf",
     [("text_edit", True, "Annual report <report-2023.pdf>", "Annual report <report-2024.pdf>")]),
    # the same document at another address (the site's URLs changed): recorded, quiet
    ("/files/report.pdf", "/media/2024/report.pdf",
     [("minor_edit", False, "Annual report <report.pdf>", "Annual report <report.pdf>")]),
])
def test_a_link_is_its_destination(old, new, expected):
    from docwatch.diffing import diff

    changes = diff(parse(_linked(old), url="https://x.lt/"), parse(_linked(new), url="https://x.lt/"))
    assert [(c.category, c.alert, c.old_text, c.new_text) for c in changes] == expected
