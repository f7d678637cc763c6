"""Dates, figures and volatile lines as the page's language writes them (Lithuanian and German
page histories of our own; French, Polish and Latvian dates read by the same code)."""

from __future__ import annotations

import json

import pytest

from docwatch.diffing import diff
from docwatch.models import ParseRules
from docwatch.parsing import parse
from docwatch.reading import reader

from .conftest import run_cli

# --- dates, one row per form ------------------------------------------------------------

DATES = [
    ("lt", "2023 m. liepos 11–12 d.", "2023-07-11/2023-07-12"),
    ("lt", "2004 m. kovo 29 d.", "2004-03-29"),
    ("lt", "1990 m. lapkričio 17 d.", "1990-11-17"),
    ("lt", "2024 m. sausio 5 d.", "2024-01-05"),
    ("lt", "2023-07-03", "2023-07-03"),
    ("lt", "2011.03.31", "2011-03-31"),
    ("lt", "2023 m. liepa", "2023-07"),
    ("de", "19. November 2025", "2025-11-19"),
    ("de", "3.–4. Juni 2024", "2024-06-03/2024-06-04"),
    ("de", "19.11.2025", "2025-11-19"),
    ("de", "1. März 2022", "2022-03-01"),
    ("de", "Freitag, 28. November 2026", "2026-11-28"),
    ("de", "Juli 2023", "2023-07"),
    ("de", "12. Dez. 2023", "2023-12-12"),
    ("fr", "3 mars 2024", "2024-03-03"),
    ("fr", "lundi 11 juillet 2023", "2023-07-11"),
    ("fr", "1er février 2022", None),  # "1er" is not a CLDR day: not read, and not misread
    ("fr", "11-12 juillet 2023", "2023-07-11/2023-07-12"),
    ("fr", "19/11/2025", "2025-11-19"),
    ("pl", "11–12 lipca 2023", "2023-07-11/2023-07-12"),
    ("pl", "3 marca 2024", "2024-03-03"),
    ("pl", "29 marca 2004 r.", "2004-03-29"),
    ("pl", "19.11.2025", "2025-11-19"),
    ("pl", "październik 2023", "2023-10"),
    ("lv", "2024. gada 7. martā", "2024-03-07"),
    ("lv", "2023. gada 11.–12. jūlijā", "2023-07-11/2023-07-12"),
    ("lv", "2004. gada 29. marts", "2004-03-29"),
    ("lv", "19.11.2025.", "2025-11-19"),
    ("en", "June 28, 1969", "1969-06-28"),
    ("en", "3-4 April 2019", "2019-04-03/2019-04-04"),
    ("en", "30 November - 1 December 2023", "2023-11-30/2023-12-01"),
    ("en", "April 2023", "2023-04"),
]


@pytest.mark.parametrize("lang,written,iso", DATES)
def test_dates_are_read_as_the_language_writes_them(lang, written, iso):
    rd = reader(lang)
    found = [f for f in rd.figures(f"Text before {written} and after.") if f.iso]
    if iso is None:
        assert all(f.iso != "2022-02-01" for f in found)
        return
    assert [f.iso for f in found] == [iso]
    assert written.startswith(found[0].text.rstrip("."))  # as written, nothing around it


def test_english_is_always_read_beside_the_pages_language():
    assert [f.iso for f in reader("lt").figures("Susitikimas 17 November 1990 ir 2004 m. kovo 29 d.")] \
        == ["1990-11-17", "2004-03-29"]


def test_a_month_word_is_not_a_weekday():
    # French "mar." abbreviates mardi; "3 mars 2024" is a date, not a today's-date line.
    assert not reader("fr").is_today_line("3 mars 2024")
    assert reader("fr").is_today_line("mardi 3 mars 2024")
    assert reader("lt").is_today_line("2026 m. lapkričio 28 d., šeštadienis")
    assert reader("de").is_today_line("Heute: 28.11.2026")


# --- figures with their unit ------------------------------------------------------------

FIGURES = [
    ("lt", "skirti 2,5 proc. BVP", "2,5 proc.", "2.5 %"),
    ("lt", "skirti 3 procentus BVP", "3 procentus", "3 %"),
    ("lt", "1,2 mlrd. eurų", "1,2 mlrd. eurų", "1200000000 EUR"),
    ("lt", "15 000 karių", "15 000", "15000"),
    ("lt", "dokumentas (637 kB)", "637 kB", "637 kB"),
    ("de", "2,5 Prozent des BIP", "2,5 Prozent", "2.5 %"),
    ("de", "1,5 Mrd. Euro", "1,5 Mrd. Euro", "1500000000 EUR"),
    ("de", "3 Mio. €", "3 Mio. €", "3000000 EUR"),
    ("de", "1.234.567 Einwohner", "1.234.567", "1234567"),
    ("de", "um 15 Uhr", "15 Uhr", "15:00"),
    ("de", "um 13:00 Uhr", "13:00 Uhr", "13:00"),
    ("fr", "2,5 pour cent", "2,5 pour cent", "2.5 %"),
    ("fr", "1,2 milliard d'euros", "1,2 milliard d'euros", "1200000000 EUR"),
    ("pl", "2,5 proc. PKB", "2,5 proc.", "2.5 %"),
    ("pl", "4 mln zł", "4 mln", "4000000"),
    ("lv", "2,5 procenti", "2,5 procenti", "2.5 %"),
    ("en", "€1.2 million", "€1.2 million", "1200000 EUR"),
    ("en", "4,800 troops", "4,800", "4800"),
    ("en", "2.5 % of GDP", "2.5 %", "2.5 %"),
    ("en", "file (1.3 MB)", "1.3 MB", "1.3 MB"),
]


@pytest.mark.parametrize("lang,text,written,key", FIGURES)
def test_figures_keep_their_unit_and_locale(lang, text, written, key):
    figs = reader(lang).figures(text)
    assert [(f.text, f.key) for f in figs] == [(written, key)]


def test_one_figure_in_two_spellings_is_one_figure():
    lt = reader("lt")
    assert lt.figures("2,5 proc.")[0].key == lt.figures("2.5 %")[0].key
    assert lt.figures("2023-07-11")[0].key == lt.figures("2023 m. liepos 11 d.")[0].key


# --- page histories ----------------------------------------------------------------------


def lt_page(*, views=1234, updated="2023-07-03", share="2,5 proc.", summit=False,
            founding="1990 m. kovo 11 d.", extra_markup=False) -> bytes:
    wrap = ('<div class="content-wrapper"><div class="inner">', "</div></div>") if extra_markup \
        else ("<div>", "</div>")
    summit_p = ('<p><strong>2023 m. liepos 11–12 d.</strong></p>'
                "<p>Vilniuje vyko NATO viršūnių susitikimas. Sąjungininkai susitarė dėl naujų "
                "gynybos planų.</p>") if summit else ""
    return f"""<!doctype html><html lang="lt"><head><meta charset="utf-8">
    <title>Lietuvos narystė NATO</title></head><body>
    <nav><a href="/">Pradžia</a> <a href="/apie">Apie ministeriją</a></nav>
    <main>{wrap[0]}
      <h1>Lietuvos narystė Šiaurės Atlanto sutarties organizacijoje (NATO)</h1>
      <p>Atnaujinta: {updated}</p>
      <h2>Teisinis Lietuvos narystės NATO pagrindas</h2>
      <p>Visos parlamentinės partijos įsipareigoja skirti ne mažiau kaip {share} BVP
         gynybai ir susieti gynybos finansavimą su NATO planais.</p>
      <h2>Lietuvos kelias į NATO (chronologija)</h2>
      <p><strong>{founding}</strong></p>
      <p>Atkurta Lietuvos nepriklausomybė; pradėtas kelias į euroatlantines struktūras.</p>
      <p><strong>2004 m. kovo 29 d.</strong></p>
      <p>Lietuva tapo visateise NATO nare ir įteikė prisijungimo dokumentus.</p>
      {summit_p}
      <p>Peržiūrų skaičius: {views}</p>
    {wrap[1]}</main>
    <footer>© Užsienio reikalų ministerija</footer></body></html>""".encode()


def de_page(*, views=1611, updated="19.11.2025 um 07:56 Uhr", budget="1,2 Mrd. Euro",
            start="15 Uhr", entry=False, date="3.–4. Juni 2024") -> bytes:
    new = ("<tr><td>9.–11. Juli 2024</td><td>Gipfel in Washington zum 75. Jahrestag der "
           "Allianz.</td></tr>") if entry else ""
    return f"""<!doctype html><html lang="de"><head><title>Bündnis</title></head><body>
    <header><a href="/">Start</a></header>
    <article>
      <h1>Deutschland in der NATO</h1>
      <p>– Zuletzt aktualisiert am {updated} –</p>
      <h2>Haushalt</h2>
      <p>Für die Verteidigung stehen in diesem Jahr zusätzlich {budget} bereit; die Sitzung
         beginnt um {start} im Plenarsaal.</p>
      <h2>Termine</h2>
      <table><tr><th>Datum</th><th>Ereignis</th></tr>
        <tr><td>{date}</td><td>Treffen der Verteidigungsminister in Brüssel.</td></tr>
        {new}
      </table>
      <p>Aufrufe: {views}</p>
    </article></body></html>""".encode()


def changes(old: bytes, new: bytes):
    return diff(parse(old), parse(new))


def test_lithuanian_noise_only_versions_change_nothing():
    assert changes(lt_page(), lt_page(views=1301, updated="2023-07-05")) == []
    # a wrapper redesign with the same text is no change either
    assert changes(lt_page(), lt_page(views=1400, extra_markup=True)) == []
    doc = parse(lt_page())
    assert doc.metadata == {"updated": "2023-07-03", "views": "1234"}
    assert "Peržiūrų" not in doc.text and "Atnaujinta" not in doc.text


def test_lithuanian_new_entry_is_one_new_entry_keyed_by_its_date():
    found = changes(lt_page(), lt_page(summit=True, views=1500))
    assert [(c.category, c.section[-1], c.date) for c in found] == [
        ("new_entry", "2023 m. liepos 11–12 d.", "2023-07-11/2023-07-12")]
    assert found[0].new_text.startswith("Vilniuje vyko NATO viršūnių susitikimas")


def test_lithuanian_revised_figure_keeps_its_unit():
    found = changes(lt_page(), lt_page(share="3 proc."))
    assert [c.category for c in found] == ["revised_figure"]
    assert found[0].figures == [{"old": "2,5 proc.", "new": "3 proc."}]


def test_lithuanian_corrected_date_is_a_revised_figure_with_both_dates():
    found = changes(lt_page(), lt_page(founding="1990 m. kovo 12 d."))
    assert [c.category for c in found] == ["revised_figure"]
    assert found[0].figures == [{"old": "1990 m. kovo 11 d.", "new": "1990 m. kovo 12 d.",
                                 "old_iso": "1990-03-11", "new_iso": "1990-03-12"}]
    assert found[0].section[-1] == "1990 m. kovo 12 d." and found[0].date == "1990-03-12"


def test_german_noise_only_versions_change_nothing():
    assert changes(de_page(), de_page(views=1702, updated="20.11.2025 um 15:03 Uhr")) == []
    assert parse(de_page()).metadata == {"updated": "19.11.2025 um 07:56 Uhr", "views": "1611"}


def test_german_new_table_row_is_one_new_entry():
    found = changes(de_page(), de_page(entry=True))
    assert [(c.category, c.section[-1], c.date) for c in found] == [
        ("new_entry", "9.–11. Juli 2024", "2024-07-09/2024-07-11")]


def test_german_figures_and_times_keep_their_unit():
    found = changes(de_page(), de_page(budget="1,5 Mrd. Euro", start="13:00 Uhr"))
    assert [c.category for c in found] == ["revised_figure"]
    assert found[0].figures == [{"old": "1,2 Mrd. Euro", "new": "1,5 Mrd. Euro"},
                                {"old": "15 Uhr", "new": "13:00 Uhr"}]


def test_german_corrected_date_is_a_revised_figure():
    found = changes(de_page(), de_page(date="4.–5. Juni 2024"))
    assert [c.category for c in found] == ["revised_figure"]
    assert found[0].figures[0]["old_iso"] == "2024-06-03/2024-06-04"
    assert found[0].figures[0]["new_iso"] == "2024-06-04/2024-06-05"


def test_the_language_comes_from_config_then_markup_then_header():
    page = lt_page().replace(b' lang="lt"', b"")
    assert parse(page).lang == "en"
    assert parse(page, language="lt-LT").lang == "lt"
    assert parse(page, language="de", rules=ParseRules(lang="lt")).lang == "lt"
    assert parse(lt_page(), language="de").lang == "lt"
    # read as Lithuanian, the summit is an entry; read as English it is not
    summit = lt_page(summit=True).replace(b' lang="lt"', b"")
    base = lt_page().replace(b' lang="lt"', b"")
    as_lt = diff(parse(base, language="lt"), parse(summit, language="lt"))
    assert [c.category for c in as_lt] == ["new_entry"]


def test_docwatch_diff_prints_lithuanian_entries_and_figures(tmp_path):
    old, new = tmp_path / "old.html", tmp_path / "new.html"
    old.write_bytes(lt_page())
    new.write_bytes(lt_page(summit=True, share="3 proc.", views=2000))
    result = run_cli("diff", str(old), str(new))
    assert result.returncode == 0, result.stderr
    assert "NEW ENTRY" in result.stdout and "› 2023 m. liepos 11–12 d." in result.stdout
    assert "2,5 proc. → 3 proc." in result.stdout
    as_json = json.loads(run_cli("diff", str(old), str(new), "--json").stdout)["changes"]
    assert {c["date"] for c in as_json if c["category"] == "new_entry"} == {"2023-07-11/2023-07-12"}
    # --lang overrides the page; a bad one is a usage error
    assert run_cli("diff", str(old), str(new), "--lang", "xx").returncode == 2


def test_config_lang_is_validated(write_config, tmp_path):
    config = write_config('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\nlang = "klingon"\n')
    result = run_cli("--config", str(config), "--db", str(tmp_path / "x.db"), "fetch", "--once")
    assert result.returncode == 2
    assert "lang: 'klingon' is not a language code" in result.stderr
