"""Parsing: main content, sections, dated entries of every shape, volatile lines, encodings."""

from __future__ import annotations

import pytest

from docwatch.demo.history import kam_page, kam_text, urm_page, urm_text
from docwatch.errors import ParseError
from docwatch.parsing import parse


def _entries(doc):
    return [(b.date, b.text) for s in doc.sections for b in s.blocks if b.date]


def test_urm_page_sections_entries_and_metadata(urm_2022):
    doc = parse(urm_2022)
    headings = [s.path[-1] for s in doc.sections if s.path]
    assert headings[:3] == [
        "Lithuania's membership in the North Atlantic Treaty Organization (NATO)",
        "Key NATO-related initiatives according to the Programme of the Eighteenth Government "
        "of the Republic of Lithuania",
        "Legal framework related to Lithuania’s NATO membership",
    ]
    entries = _entries(doc)
    dates = [d for d, _ in entries]
    assert dates[0] == "17 November 1990"
    assert "3-4 April 2019" in dates and "27-30 June 2022" in dates and "3-4 December 2019" in dates
    april = dict(entries)["3-4 April 2019"]
    assert april.startswith("The annual NATO ministerial meeting") and "INF" in april
    assert doc.metadata["updated"] == "2022.09.01"
    text = doc.text
    for furniture in ("Consular Information", "Search", "Facebook", "Visitors", "September 2022"):
        assert furniture not in text


def test_kam_page_windows_1257_without_furniture(kam_2011):
    doc = parse(kam_2011, content_type="text/html")
    assert doc.title == "Cooperation with non-NATO states"
    assert "Tadzhikistan" in doc.text and "Israel Defence Forces" in doc.text
    assert doc.metadata["updated"] == "2011.03.31"
    for furniture in ("Go to starting page", "Fresh Media", "Totorių", "KAM facebook", "Total"):
        assert furniture not in doc.text
    assert all(b.text for s in doc.sections for b in s.blocks)  # spacer paragraphs are gone


@pytest.mark.parametrize("html", [
    "<h2>Events</h2><p><strong>3-4 April 2019</strong></p><p>Ministers met.</p>",
    "<h2>Events</h2><p>3-4 April 2019 Ministers met.</p>",
    "<h2>Events</h2><table><tr><td>3-4 April 2019</td><td>Ministers met.</td></tr></table>",
    "<h2>Events</h2><dl><dt>3-4 April 2019</dt><dd>Ministers met.</dd></dl>",
    "<h2>Events</h2><div class='item'><span class='date'>3-4 April 2019</span><p>Ministers met.</p></div>",
])
def test_dated_entries_from_every_common_shape(html):
    doc = parse(f"<html><body><main>{html}</main></body></html>")
    assert _entries(doc) == [("3-4 April 2019", "Ministers met.")]


def test_volatile_lines_are_metadata():
    doc = parse("""<html><body><main><p>Wednesday, February 01, 2017</p><p>Real text here.</p>
    <p>Number of views (4099)</p><p>Updated on: 2011.03.31</p><p>Last updated 2025-01-28</p>
    </main></body></html>""")
    assert [b.text for s in doc.sections for b in s.blocks] == ["Real text here."]
    assert doc.metadata["views"] == "4099" and doc.metadata["updated"] == "2025-01-28"


def test_double_encoded_utf8_is_repaired():
    body = "<html><body><main><p>Lithuania’s partners: Vilnius, Kaunas</p></main></body></html>"
    mojibake = body.encode("utf-8").decode("cp1252").encode("utf-8")
    assert "Lithuania’s" in parse(mojibake).text


def test_redesign_keeps_the_same_passages():
    old = parse(urm_page(urm_text("2024-07-15"), "2024-07-15"))
    new = parse(urm_page(urm_text("2024-07-15"), "2025-02-03", layout="2025"))
    assert _entries(old) == _entries(new)


@pytest.mark.parametrize("body, reason", [
    (b"", "empty body"), (b"   \n", "empty body"), (b"%PDF-1.7\n\x00\x01", "the PDF is cut short"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary content"),
])
def test_not_a_page_is_a_clear_parse_error(body, reason):
    with pytest.raises(ParseError, match=reason):
        parse(body)


def test_kam_history_text_evolves():
    assert "Russia and the South" in kam_text("2011-03-31")
    assert "Russia and the South" not in kam_text("2014-09-10")
    assert kam_page(kam_text("2022-03-15"), "2022-03-15").count(b"windows-1257") == 1


def test_parsing_and_diffing_leave_no_reference_cycles():
    """A page's tree lives in libxml2's memory, out of the collector's sight: held by a
    reference cycle it stays until the collector's rare full pass, and a worker grew by
    35 KB a page (40 MB over a first cycle of 500 pages). Freed by reference counting, it
    goes as soon as the check is done."""
    import gc

    from docwatch import diffing
    from docwatch.demo.history import urm_page, urm_text

    old, new = (urm_page(urm_text(day), day) for day in ("2023-07-20", "2024-04-02"))
    diffing.diff(parse(old, url="http://127.0.0.1/a"), parse(new, url="http://127.0.0.1/a"))
    gc.collect()
    gc.disable()
    try:
        before = parse(old, url="http://127.0.0.1/a")
        after = parse(new, url="http://127.0.0.1/a")
        assert diffing.diff(before, after)
        del before, after
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("body, content_type", [
    ("<html><body><main><h1>Titulas</h1><p>Gynybos\x0b išlaidos\x07 \ufffe2,5 %</p>"
     "</main></body></html>".encode(), "text/html; charset=utf-8"),
    ("<html><body><main><h1>Titulas</h1><p>Gynybos\x0b išlaidos\x07 2,5 %</p>"
     "</main></body></html>".encode("cp1257"), "text/html; charset=windows-1257"),
    ("<html><body><main><h1>Titulas</h1><p>Gynybos\x0b išlaidos\x07 \uffff2,5 %</p>"
     "</main></body></html>", None),
])
def test_control_characters_lxml_refuses_are_dropped_from_any_page(body, content_type):
    """Pages carry stray control characters (a vertical tab pasted from Word, a bell):
    they go, whatever the encoding, and the text around them stays."""
    doc = parse(body, content_type=content_type)
    assert [b.text for s in doc.sections for b in s.blocks] == ["Gynybos išlaidos 2,5 %"]


def test_mojibake_is_repaired_where_it_is_and_nowhere_else():
    from docwatch.decode import decode_html

    plain = "".join(f"<p>Guidance number {k} on the programme.</p>" for k in range(300))
    page = ("<html><head><meta charset='utf-8'></head><body>" + plain
            + "<p>The agencyâ€™s data â€” as of today.</p><p>Ã©tÃ© à la Lietuvos RespublikÅ³</p>"
            + plain + "</body></html>")
    text = decode_html(page.encode())
    assert "The agency’s data — as of today." in text
    assert "été à la Lietuvos Respublikų" in text
    assert text.count("Guidance number 7 on the programme.") == 2  # the rest untouched


@pytest.mark.parametrize("lang, line, when", [
    ("en", "Last updated: 3 March 2025", "3 March 2025"),
    ("en", "LAST UPDATED: 3 March 2025", "3 March 2025"),
    ("en", "Page Last Reviewed 2025-03-03", "2025-03-03"),
    ("lt", "Atnaujinta: 2023-07-03", "2023-07-03"),
    ("lt", "ATNAUJINTA 2023-07-03", "2023-07-03"),
    ("de", "Zuletzt aktualisiert am 19.11.2025", "19.11.2025"),
])
def test_an_updated_line_is_found_as_the_page_writes_it(lang, line, when):
    page = (f"<html lang='{lang}'><body><main><h1>Plans</h1><p>{'Words of the page. ' * 30}</p>"
            f"</main><footer><span>{line}</span></footer></body></html>")
    assert parse(page).metadata["updated"] == when


def test_the_first_updated_line_of_the_page_is_its_date():
    # Two lines in words of different rules: the page's order decides, whatever the words.
    page = ("<html><body><main><h1>Plans</h1><p>Modified 2 May 2024</p><p>Text of the page, "
            "long enough to be read as one.</p></main><footer>Last updated: 3 March 2025"
            "</footer></body></html>")
    assert parse(page).metadata["updated"] == "2 May 2024"
