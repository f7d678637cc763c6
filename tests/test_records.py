"""Tables and lists of records are matched by their key, never by how alike their rows read:
a new key is one new entry, a key gone one removed entry, a changed cell is typed by its
column, a re-sorted table is silent. Checked as a diff and through the real pipeline."""

from __future__ import annotations

from pytest_httpserver import HTTPServer

from docwatch.diffing import diff
from docwatch.fetch import Fetcher
from docwatch.models import Source
from docwatch.parsing import parse
from docwatch.pipeline import check
from docwatch.store import Store

FORMS = [("118-1", "Application for employment", "3/1/2009"),
         ("118-2", "Request for leave", "6/15/2011"),
         ("118-3", "Request for leave without pay", "6/15/2011"),
         ("214", "Statement of service", "1/4/2015"),
         ("SF-86", "Questionnaire for national security positions", "11/2/2017"),
         ("DD-1351", "Travel voucher", "5/5/2020")]


def _forms_page(forms) -> bytes:
    rows = "".join(f"<tr><td>{n}</td><td>{t}</td><td>{d}</td></tr>" for n, t, d in forms)
    return ("<html><body><nav><a href='/'>Home</a></nav><main><h1>Personnel forms</h1>"
            "<p>Forms in use by the department.</p><table><thead><tr><th>Number</th>"
            f"<th>Title</th><th>Edition date</th></tr></thead><tbody>{rows}</tbody></table>"
            "</main></body></html>").encode()


def _revised(forms):
    """A row added between look-alikes, one removed, a date revised, a title reworded, and
    the table sorted by title instead of number."""
    out = list(forms)
    out.insert(3, ("118-4", "Request for leave with pay", "6/15/2011"))
    out = [f for f in out if f[0] != "214"]
    out = [(n, t, "5/12/2024") if n == "118-1" else
           (n, "Voucher for travel expenses" if n == "DD-1351" else t, d) for n, t, d in out]
    return sorted(out, key=lambda f: f[1])


def _typed(changes):
    return sorted((c.category, c.section[-1], c.locator) for c in changes if c.alert)


def test_a_table_of_forms_is_matched_by_number():
    changes = diff(parse(_forms_page(FORMS)), parse(_forms_page(_revised(FORMS))))
    assert _typed(changes) == [
        ("new_entry", "118-4 · Request for leave with pay", None),
        ("removed_entry", "214 · Statement of service", None),
        ("revised_figure", "118-1 · Application for employment", "Edition date"),
        ("text_edit", "DD-1351 · Voucher for travel expenses", "Title"),
    ]
    [figure] = [c for c in changes if c.category == "revised_figure"]
    assert figure.figures[0]["old"] == "3/1/2009" and figure.figures[0]["new"] == "5/12/2024"


def test_a_re_sorted_table_of_records_is_silent():
    resorted = sorted(FORMS, key=lambda f: f[1])
    assert diff(parse(_forms_page(FORMS)), parse(_forms_page(resorted))) == []


def test_a_list_of_laws_keyed_by_code_pairs_by_code():
    laws = ["XIII-1021 Law on the Organisation of the National Defence System",
            "XIII-1022 Law on Military Service", "XIII-1187 Law on Cyber Security",
            "XIV-515 Law on Civil Protection"]

    def page(items):
        return ("<html><body><main><h1>Laws</h1><ul>" + "".join(f"<li>{x}</li>" for x in items)
                + "</ul></main></body></html>").encode()

    added = laws[:2] + ["XIII-1023 Law on Military Service of Reservists"] + laws[2:]
    [change] = [c for c in diff(parse(page(laws)), parse(page(added))) if c.alert]
    assert change.category == "new_entry"
    assert change.section[-1].startswith("XIII-1023")


def test_records_keep_their_keys_through_the_store(httpserver: HTTPServer, tmp_path):
    source = Source("forms", httpserver.url_for("/forms"))
    with Fetcher() as http, Store(tmp_path / "forms.db") as store:
        for forms in (FORMS, _revised(FORMS)):
            httpserver.clear()
            httpserver.expect_request("/forms").respond_with_data(
                _forms_page(forms), content_type="text/html; charset=utf-8")
            result = check(source, store, fetcher=http)
            assert result.ok, result.error
        assert _typed(result.changes) == _typed(
            diff(parse(_forms_page(FORMS)), parse(_forms_page(_revised(FORMS)))))
        keys = {r[0] for r in store.db.execute("SELECT key FROM passages WHERE key IS NOT NULL")}
        assert {"118-1", "118-4", "SF-86", "214"} <= keys


def test_a_definition_list_of_codes_pairs_by_code():
    def page(items):
        return ("<html><body><main><h1>Laws</h1><dl>" + "".join(
            f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl></main></body></html>").encode()

    laws = [("XIII-1021", "Law on the Organisation of the National Defence System"),
            ("XIII-1022", "Law on Military Service"), ("XIII-1187", "Law on Cyber Security")]
    added = laws[:1] + [("XIII-1023", "Law on Military Service of Reservists")] + laws[1:]
    [change] = [c for c in diff(parse(page(laws)), parse(page(added))) if c.alert]
    assert change.category == "new_entry"
    assert change.section[-1] == "XIII-1023 · Law on Military Service of Reservists"


def _register(rows: list[tuple[str, str]]) -> bytes:
    return ("<html lang='lt'><body><main><h1>Registras</h1><table><tr><th>Kodas</th>"
            "<th>Pavadinimas</th></tr>" + "".join(f"<tr><td>{k}</td><td>{t}</td></tr>" for k, t in rows)
            + "</table><p>Atnaujinama kas savaitę.</p></main></body></html>").encode()


def test_a_register_that_shrinks_below_a_records_table_loses_only_its_row():
    # Three rows make a table of records, two do not: each version is read on its own, so
    # one side had keys and the other none, and a row after the removed one went too.
    rows = [("B-10", "Leidimas statybai"), ("B-11", "Leidimas griauti"), ("B-12", "Pažyma")]
    gone = diff(parse(_register(rows)), parse(_register([rows[0], rows[2]])))
    assert [(c.category, c.section[-1]) for c in gone] == [("removed_entry", "B-11 · Leidimas griauti")]
    back = diff(parse(_register([rows[0], rows[2]])), parse(_register(rows)))
    assert [(c.category, c.section[-1]) for c in back] == [("new_entry", "B-11 · Leidimas griauti")]
    edited = diff(parse(_register(rows)), parse(_register([rows[0], ("B-11", "Pažyma apie statinio nugriovimą")])))
    assert [(c.category, c.locator) for c in edited] == [("text_edit", "Pavadinimas"),
                                                         ("removed_entry", None)]


def test_a_list_of_codes_that_shrinks_keeps_pairing_by_code():
    laws = ["XIV-501: Įstatymas dėl gynybos", "XIV-502: Įstatymas dėl sienos",
            "XIV-503: Įstatymas dėl rezervo"]
    page = lambda items: ("<html lang='lt'><body><main><h1>Įstatymai</h1><ul>"
                          + "".join(f"<li>{i}</li>" for i in items) + "</ul></main></body></html>").encode()
    changes = diff(parse(page(laws)), parse(page([laws[0], laws[2]])))
    assert [(c.category, c.section[-1]) for c in changes] == [
        ("removed_entry", "XIV-502 · Įstatymas dėl sienos")]


# A table of records whose cells hold paragraphs, lists and line breaks (issue 36): a cookie
# table as consent managers publish it.
COOKIES = [
    ("PHPSESSID", "<p>Keeps your session while you browse the site.</p>", "Session"),
    ("_ga<br>_gid", "<p>Google Analytics: counts visits and pages read.</p><p>Set only with "
     "your consent.</p>", "2 years<br>24 hours"),
    ("cookieconsent_status", "<p>Remembers the choice you made about cookies.</p>", "1 year"),
    ("lang", "<ul><li>Remembers your language</li><li>Read by the server</li></ul>", "1 year"),
    ("_pk_id", "<p>Matomo: tells a returning visitor from a new one.</p>", "13 months"),
]


def _cookies_page(cookies) -> bytes:
    rows = "".join(f"<tr><td>{n}</td><td>{p}</td><td>{d}</td></tr>" for n, p, d in cookies)
    return ("<html><body><main><h1>Cookies</h1><p>This site uses the cookies listed below."
            "</p><table><tr><th>Name</th><th>Purpose</th><th>Duration</th></tr>"
            f"{rows}</table></main></body></html>").encode()


def test_a_table_of_records_with_rich_cells_is_matched_by_its_key():
    edited = [(n, p.replace("while you browse the site", "until you close the browser"), d)
              for n, p, d in COOKIES if n != "lang"]
    edited.insert(2, ("_hjSession", "<p>Hotjar: records how the page is used.</p>",
                      "30 minutes"))
    before, after = parse(_cookies_page(COOKIES)), parse(_cookies_page(edited))
    rows = [b for s in before.sections for b in s.blocks if b.kind == "row" and b.key]
    assert [b.key for b in rows] == ["PHPSESSID", "_ga _gid", "cookieconsent_status", "lang",
                                     "_pk_id"]
    assert rows[1].text == ("_ga _gid | Google Analytics: counts visits and pages read. Set "
                            "only with your consent. | 2 years 24 hours")
    assert rows[3].text == "lang | Remembers your language; Read by the server | 1 year"
    assert _typed(diff(before, after)) == [
        ("new_entry", "_hjSession · Hotjar: records how the page is used.", None),
        ("removed_entry", "lang · Remembers your language; Read by the server", None),
        ("text_edit", "PHPSESSID · Keeps your session until you close the browser.", "Purpose"),
    ]


def test_a_layout_table_of_rich_cells_is_still_read_as_the_page():
    page = ("<html><body><table><tr><td><ul><li><a href='/a'>Menu</a></li></ul></td>"
            "<td><h1>Title</h1><p>First paragraph of the page.</p><p>Second one.</p></td>"
            "</tr></table></body></html>").encode()
    doc = parse(page)
    assert [(b.kind, b.text) for s in doc.sections for b in s.blocks] == [
        ("paragraph", "First paragraph of the page."), ("paragraph", "Second one.")]
