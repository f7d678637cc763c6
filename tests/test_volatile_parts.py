"""Volatile parts and near-empty content: an "(updated DATE)" in a heading, an updated line
that lists what changed, a page that is a heading and a list of links, a link with no text,
a footnote mark a layout shows in one place only."""

from __future__ import annotations

from docwatch.diffing import diff
from docwatch.parsing import parse

from . import pdfs
from .conftest import run_cli
from .servers import Response, Server


def _page(body: str, lang: str = "en") -> bytes:
    return (f"<html lang='{lang}'><body><nav><a href='/'>Home</a> <a href='/en'>EN</a></nav>"
            f"<main><h1>Personnel forms</h1>{body}</main><footer>© 2025</footer></body>"
            "</html>").encode()


def _alerts(old: bytes, new: bytes):
    return [c for c in diff(parse(old), parse(new)) if c.alert]


FORMS = ("<h2>Forms 500–999 {part}</h2><p>Forms for leave, pay and travel are listed below "
         "and can be filed online.</p><p>{rule}</p>")
RULE = "Paper forms are accepted until 31 December 2025."


def _line(text: str, lang: str = "en") -> bytes:
    """A page of the rule and one more paragraph, `text`."""
    return _page(f"<p>{RULE}</p><p>{text}</p>", lang)


def test_a_dated_part_of_a_heading_names_no_section():
    old = _page(FORMS.format(part="(updated 4/2/2024)", rule=RULE))
    new = _page(FORMS.format(part="(updated 4/9/2024)", rule=RULE))
    assert diff(parse(old), parse(new)) == []
    doc = parse(new)
    assert doc.sections[-1].heading == "Forms 500–999"
    assert doc.metadata["updated › Forms 500–999"] == "4/9/2024"
    edited = _page(FORMS.format(part="(updated 4/16/2024)", rule=RULE.replace("2025", "2026")))
    [alert] = _alerts(new, edited)
    assert alert.category == "revised_figure" and alert.section[-1] == "Forms 500–999"


def test_the_volatile_part_of_a_heading_in_other_languages():
    for lang, old, new in [("de", "Kontakte (Stand: 02.04.2024)", "Kontakte (Stand: 09.04.2024)"),
                           ("lt", "Formos (atnaujinta 2024-04-02)", "Formos (atnaujinta 2024-04-09)"),
                           ("en", "Visas – as of 2 April 2024", "Visas – as of 9 April 2024")]:
        a = _page(f"<h2>{old}</h2><p>{RULE}</p>", lang)
        b = _page(f"<h2>{new}</h2><p>{RULE}</p>", lang)
        assert diff(parse(a), parse(b)) == [], (lang, old)


def test_updated_lines_that_list_the_changes_are_metadata():
    lines = [
        ("en", "Last updated 3 March 2025 at 14:05, latest changes: Visas; Contacts",
         "Last updated 11 March 2025 at 09:30, latest changes: Consular fees"),
        ("lt", "Atnaujinta 2025-03-03 14:05, pakeista: Vizos; Kontaktai",
         "Atnaujinta 2025-03-11 09:30, pakeista: Konsuliniai mokesčiai"),
        ("de", "Zuletzt aktualisiert am 03.03.2025 14:05, Änderungen: Visa; Kontakte",
         "Zuletzt aktualisiert am 11.03.2025 09:30, Änderungen: Gebühren"),
    ]
    for lang, old, new in lines:
        a, b = _line(old, lang), _line(new, lang)
        assert diff(parse(a), parse(b)) == [], old
        assert parse(b).metadata["updated"].startswith(("11", "2025-03-11")), new
    # a line of dates, one of them the update's
    a = _line("Published 5 December 2025 | Updated 6 December 2025")
    b = _line("Published 5 December 2025 | Updated 9 December 2025")
    assert diff(parse(a), parse(b)) == []
    a = _line("Publicēts: 05.12.2025. Atjaunināts: 06.12.2025.", "lv")
    b = _line("Publicēts: 05.12.2025. Atjaunināts: 07.12.2025. 10:00", "lv")
    assert diff(parse(a), parse(b)) == []
    listed = "Defence Strategy, revised 3 March 2025"  # a document's revision: content
    assert listed in parse(_page(f"<p>{listed}</p>")).sections[-1].text
    # a line that only opens with the word is content
    doc = parse(_page("<p>Updated guidance for schools was published by the ministry.</p>"))
    assert "Updated guidance" in doc.sections[-1].text
    news = ("Updated 3 March 2025: the ministry changed the rules of conscription for the "
            "coming year, and more reservists will be called up for training in the spring.")
    assert news in parse(_page(f"<p>{news}</p>")).sections[-1].text


def _index(*docs: tuple[str, str]) -> bytes:
    items = "".join(f"<li><a href='/files/{f}'>{t}</a></li>" for f, t in docs)
    return ("<html lang='lt'><body><header><a href='/'>Ministerija</a></header><nav><ul>"
            "<li><a href='/apie'>Apie</a></li><li><a href='/naujienos'>Naujienos</a></li></ul>"
            f"</nav><div class='content'><h1>Strateginiai dokumentai</h1><ul>{items}</ul></div>"
            "<footer>© Ministerija</footer></body></html>").encode()


DOCS = [("strategija.pdf", "Nacionalinio saugumo strategija"), ("doktrina.pdf", "Karinė doktrina")]


def test_a_documents_index_is_content_and_a_new_link_is_one_alert():
    doc = parse(_index(*DOCS))
    assert [b.text for s in doc.sections for b in s.blocks] == [t for _, t in DOCS]
    [alert] = _alerts(_index(*DOCS), _index(*DOCS, ("programa.pdf", "Gynybos programa")))
    assert alert.new_text == "Gynybos programa"


def _bare_index(*docs: tuple[str, str]) -> bytes:
    """A documents index without headings: a title line and a block of links."""
    items = "".join(f"<div class='doc'><a href='/files/{f}'>{t}</a></div>" for f, t in docs)
    return ("<html lang='lt'><body><div class='top'><a href='/'>Ministerija</a></div>"
            "<div class='title'>Strateginiai dokumentai</div>"
            f"<div class='documents'>{items}</div></body></html>").encode()


def test_documents_true_watches_the_files_a_documents_index_lists(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/docs", _bare_index(DOCS[0]))
        site.put("/files/strategija.pdf", Response(pdfs.strategy(1),
                                                   headers={"Content-Type": "application/pdf"}))
        site.put("/files/doktrina.pdf", Response(pdfs.hyphenated(),
                                                 headers={"Content-Type": "application/pdf"}))
        config = write_config(f'[[source]]\nname = "docs"\nurl = "{site.url("/docs")}"\n'
                              'documents = true\n')
        first = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
        assert first.returncode == 0, first.stderr
        assert site.count("/files/strategija.pdf") == 1
        site.put("/docs", _bare_index(*DOCS))
        second = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
        assert second.returncode == 0, second.stderr
        assert site.count("/files/doktrina.pdf") == 1
        assert second.stdout.count("NEW ENTRY") == 1, second.stdout
        explained = run_cli("--db", str(db), "--config", str(config), "fetch", "--once", "-v")
        assert "docs: content: little text but links" in explained.stdout, explained.stdout


def test_a_link_with_no_text_is_named_by_its_file_or_not_reported():
    base = "<p>The strategy was adopted in 2021.</p>"
    empty = base + "<p><a href='/gallery/photo-12'><img src='/p.jpg'></a></p>"
    assert _alerts(_page(base), _page(empty)) == []
    titled = base + "<p><a href='/files/annex.pdf'><img src='/i.png' alt=''></a></p>"
    [alert] = _alerts(_page(base), _page(titled))
    assert alert.new_text == "annex.pdf"
    alt = base + "<p><a href='/gallery/12'><img src='/p.jpg' alt='Signing ceremony'></a></p>"
    [alert] = _alerts(_page(base), _page(alt))
    assert alert.new_text == "Signing ceremony"


def test_a_footnote_mark_shown_in_one_layout_only_is_no_change():
    a = _page("<p>Allies agreed to spend 2 % of GDP on defence by 2024.</p>")
    b = _page("<p>Allies agreed to spend 2 % of GDP on defence by 2024<sup>1</sup>.</p>")
    assert _alerts(a, b) == []
    area = parse(_page("<p>The training area covers 120 km<sup>2</sup> of forest.</p>"))
    assert "120 km2" in area.sections[-1].text


def test_counters_with_their_label_in_each_language_are_metadata():
    for lang, line in [("fr", "Nombre de vues : {n}"), ("pl", "Liczba odsłon: {n}"),
                       ("de", "Anzahl der Aufrufe: {n}"), ("lv", "Apmeklējumu skaits: {n}"),
                       ("lt", "Lankytojų skaičius: {n}"),
                       ("en", "This page has been viewed {n} times"), ("en", "Read {n} times"),
                       ("de", "{n}-mal gelesen"), ("de", "Diese Seite wurde {n} mal aufgerufen"),
                       ("lv", "Skatīts {n} reizes"), ("pl", "Wyświetlono {n} razy"),
                       ("fr", "Vu {n} fois")]:
        a = _line(line.format(n=1260), lang)
        b = _line(line.format(n=1273), lang)
        assert diff(parse(a), parse(b)) == [], line
        assert parse(b).metadata["views"] == "1273", line


def test_relative_times_share_counts_and_print_dates_are_metadata():
    pairs = [("en", "Posted 3 hours ago", "Posted 5 hours ago"),
             ("lt", "Paskelbta prieš 3 valandas", "Paskelbta prieš 2 dienas"),
             ("de", "vor 3 Stunden", "vor 5 Stunden"),
             ("pl", "3 godziny temu", "5 godzin temu"),
             ("fr", "il y a 3 heures", "il y a 2 jours"),
             ("en", "Share (12)", "Share (15)"),
             ("lt", "Dalintis: 4", "Dalintis: 9"),
             ("en", "Printed on 5 December 2025", "Printed on 6 December 2025"),
             ("en", "Today is Friday, 5 December 2025", "Today is Saturday, 6 December 2025"),
             ("en", "09:14", "10:02"), ("de", "14:05 Uhr", "15:10 Uhr"),
             ("en", "Showing 1–10 of 1,234 results", "Showing 1–10 of 1,240 results"),
             ("de", "245 Treffer", "246 Treffer"), ("lt", "Rasta 12 įrašų", "Rasta 13 įrašų"),
             ("pl", "Znaleziono 45 wyników", "Znaleziono 47 wyników"),
             ("fr", "Affichage 1 à 10 sur 245 résultats", "Affichage 1 à 10 sur 251 résultats"),
             ("fr", "Affichage de 1 à 10 sur 245 résultats", "Affichage de 1 à 10 sur 251 résultats"),
             ("de", "Ihre Suche ergab 245 Treffer", "Ihre Suche ergab 251 Treffer"),
             ("en", "1,203 documents found", "1,250 documents found"),
             ("lt", "Rasta dokumentų: 1203", "Rasta dokumentų: 1250")]
    for lang, old, new in pairs:
        a, b = _line(old, lang), _line(new, lang)
        assert diff(parse(a), parse(b)) == [], old
    # a sentence that says when something happened is content, and so are counted results
    news = "The minister visited Kyiv 3 days ago and met the president."
    assert news in parse(_page(f"<p>{news}</p>")).sections[-1].text
    talks = "The talks brought 3 results: a ceasefire, an exchange and a corridor."
    assert talks in parse(_page(f"<p>{talks}</p>")).sections[-1].text
    # a law's articles are its words, not a listing's count
    [articles] = _alerts(_page(f"<p>{RULE}</p><ul><li>Articles 5–6</li><li>Annex</li></ul>"),
                         _page(f"<p>{RULE}</p><ul><li>Articles 5–7</li><li>Annex</li></ul>"))
    assert articles.new_text == "Articles 5–7"


def _cards(cards: list[tuple[str, str, str]], lang: str = "en") -> bytes:
    """A news listing whose cards end in a counter drawn as `counter` (a format taking n)."""
    return _page("<h2>News</h2>" + "".join(
        f"<div class='card'><h3><a href='/news/{k}'>{title}</a></h3><p>{date}</p>{counter}</div>"
        for k, (title, date, counter) in enumerate(cards)), lang)


def test_counters_drawn_as_an_icon_and_a_number_are_no_change():
    titles = [("Minister meets NATO Secretary General", "4 December 2025"),
              ("Defence budget approved", "1 December 2025")]
    shapes = ["<span class='meta'><i class='fa fa-eye'></i> {n}</span>",
              "<small><svg class='ico'><use href='#icon-views'></use></svg>{n}</small>",
              "<a href='#comments'><i class='bi bi-chat-dots'></i> ({n})</a>",
              "<span class='post-views'>{n}</span>",
              "<span>👁\ufe0f {n}</span>",
              "<span>💬 {n}</span>"]
    for shape in shapes:
        before = [(t, d, shape.format(n=f"1 2{k}4")) for k, (t, d) in enumerate(titles)]
        after = [(t, d, shape.format(n=f"1 3{k}1")) for k, (t, d) in enumerate(titles)]
        assert diff(parse(_cards(before)), parse(_cards(after))) == [], shape
        assert "1 2" not in parse(_cards(before)).sections[-1].text, shape
        # the listing's words still count: a new card is one alert
        added = [("Joint exercise in Latvia", "5 December 2025", shape.format(n="12"))] + after
        [alert] = _alerts(_cards(after), _cards(added))
        assert alert.category == "new_entry" and "Joint exercise in Latvia" in alert.new_text


def test_a_number_beside_another_icon_or_in_a_named_field_is_content():
    """A figure with a currency icon, a year in a field of any name, a phone number with its
    pictogram: numbers that say what the page says, kept and compared."""
    for old, new in [("<p><span><i class='icon-euro'></i> 850</span> million for air defence</p>",
                      "<p><span><i class='icon-euro'></i> 895</span> million for air defence</p>"),
                     ("<div class='views-field views-field-year'><span>2025</span></div>",
                      "<div class='views-field views-field-year'><span>2026</span></div>"),
                     ("<p>Emergency line: <span>☎ 112</span></p>",
                      "<p>Emergency line: <span>☎ 113</span></p>"),
                     ("<table><tr><th>Troops</th><td class='count'>1200</td></tr></table>",
                      "<table><tr><th>Troops</th><td class='count'>1500</td></tr></table>")]:
        [alert] = _alerts(_page(f"<p>{RULE}</p>{old}"), _page(f"<p>{RULE}</p>{new}"))
        assert alert.figures, old


def test_a_box_of_the_most_read_items_is_no_change():
    """Their links change with the readers: a box opened by such a heading, or such a heading
    and the lists of links after it, in each language."""
    def box(lang: str, heading: str, items: list[str], shape: str) -> bytes:
        links = "".join(f"<li><a href='/n/{len(t)}'>{t}</a></li>" for t in items)
        popular = (f"<div class='box'><h3>{heading}</h3><ol>{links}</ol></div>" if shape == "box"
                   else f"<h2>{heading}</h2><ul>{links}</ul>")
        return _page(f"<h2>Statements</h2><p>{RULE}</p><p>Forms can be filed online.</p>"
                     f"{popular}", lang)

    first = ["Minister visits Kyiv", "New conscription rules", "Budget for 2026 adopted"]
    then = ["Budget for 2026 adopted", "Air policing mission extended", "Minister visits Kyiv"]
    for lang, heading, shape in [("en", "Most read", "box"), ("lt", "Skaitomiausi", "list"),
                                 ("de", "Meistgelesen:", "box"), ("pl", "Najczęściej czytane", "list")]:
        assert diff(parse(box(lang, heading, first, shape)),
                    parse(box(lang, heading, then, shape))) == [], heading
        assert "Air policing" not in parse(box(lang, heading, then, shape)).sections[-1].text
    # a list under another heading is content, and so is a page that is the list
    assert _alerts(box("en", "Our partners", first, "list"), box("en", "Our partners", then, "list"))
    whole = [f"Statement {k} on the alliance's eastern flank and its air defence" for k in range(9)]
    only = (lambda items: _page("<h2>Most read</h2><ul>" + "".join(
        f"<li><a href='/s/{k}'>{t}</a></li>" for k, t in enumerate(items)) + "</ul>"))
    assert _alerts(only(whole), only(whole[1:]))


def test_a_badge_beside_an_item_comes_and_goes_without_a_change():
    """"NEW" while an item is recent, in the badge shapes sites use; the word in running text
    stays the page's."""
    for lang, badge in [("lt", "<span class='badge'>Naujiena!</span> "), ("en", "<em>NEW</em> "),
                        ("de", "<sup>Neu</sup> "), ("pl", "<span class='label'>Nowość</span> ")]:
        item = ("<ul><li>{b}<a href='/d/2.pdf'>Defence strategy 2030</a> 3 December 2025</li>"
                "<li><a href='/d/1.pdf'>Annual report</a> 1 December 2025</li></ul>")
        marked, plain = (_page(item.format(b=b), lang) for b in (badge, ""))
        assert diff(parse(marked), parse(plain)) == [], badge
        assert "Defence strategy 2030" in parse(marked).sections[-1].text
    words = _page("<p><b>New</b> rules apply from 1 January 2026.</p>")
    assert _alerts(words, _page("<p>Rules apply from 1 January 2026.</p>"))


def test_updated_and_as_of_lines_in_their_common_forms_are_metadata():
    pairs = [("lt", "Duomenys atnaujinti 2026-12-03 09:00", "Duomenys atnaujinti 2026-12-04 09:00"),
             ("lt", "Informacija atnaujinta: 2026 m. gruodžio 3 d.",
              "Informacija atnaujinta: 2026 m. gruodžio 4 d."),
             ("en", "Data as of 3 December 2026", "Data as of 4 December 2026"),
             ("en", "Generated: 2026-12-03T09:12:33Z", "Generated: 2026-12-04T10:01:02Z"),
             ("en", "Content current as at 3 December 2026", "Content current as at 4 December 2026"),
             ("de", "Datenstand: 03.12.2026", "Datenstand: 04.12.2026"),
             ("de", "Letzte Aktualisierung: 03.12.2026", "Letzte Aktualisierung: 04.12.2026"),
             ("fr", "Dernière modification : 3 décembre 2026", "Dernière modification : 4 décembre 2026"),
             ("pl", "Stan na dzień 3 grudnia 2026 r.", "Stan na dzień 4 grudnia 2026 r."),
             ("lt", "Paskutinį kartą keista 2026-12-03", "Paskutinį kartą keista 2026-12-04"),
             ("pl", "Ostatnia modyfikacja: 3 grudnia 2026 r.", "Ostatnia modyfikacja: 4 grudnia 2026 r."),
             ("lv", "Pēdējās izmaiņas veiktas: 03.12.2026.", "Pēdējās izmaiņas veiktas: 04.12.2026.")]
    for lang, old, new in pairs:
        a, b = _line(old, lang), _line(new, lang)
        assert diff(parse(a), parse(b)) == [], old
        assert parse(b).metadata["updated"] in new, old
    # what follows an as-of date, a list updated on a date, the state of talks: content
    for old, new in [("As of 1 January 2027, conscription lasts 12 months.",
                      "As of 1 January 2028, conscription lasts 12 months."),
                     ("Sanctions list updated 3 December 2026", "Sanctions list updated 4 December 2026"),
                     ("Stand der Verhandlungen: 3. Dezember 2026", "Stand der Verhandlungen: 4. Dezember 2026")]:
        assert _alerts(_line(old), _line(new)), old


def test_links_that_share_or_print_the_page_are_no_content():
    """Share buttons change with the site's choice of networks, in any words; what they point
    at says what they are. A link to a ministry's own page on a network is content."""
    shapes = [("en", "<p><a href='https://www.facebook.com/sharer/sharer.php?u={u}'>Share on "
                     "Facebook</a> <a href='https://twitter.com/intent/tweet?url={u}'>Tweet</a></p>",
               "<p><a href='https://x.com/intent/post?url={u}'>Share on X</a></p>"),
              ("lt", "<ul><li><a href='https://www.linkedin.com/sharing/share-offsite/?url={u}'>"
                     "LinkedIn</a></li><li><a href='javascript:window.print()'>Spausdinti</a></li>"
                     "</ul>",
               "<ul><li><a href='https://api.whatsapp.com/send?text={u}'>WhatsApp</a></li>"
               "<li><a href='#' onclick='window.print(); return false'>Spausdinti</a></li></ul>")]
    for lang, old, new in shapes:
        a = _page(f"<p>{RULE}</p>" + old.format(u="https%3A%2F%2Fkam.lt%2Fa"), lang)
        b = _page(f"<p>{RULE}</p>" + new.format(u="https%3A%2F%2Fkam.lt%2Fa"), lang)
        assert diff(parse(a), parse(b)) == [], old
    own = "<p>Follow us: <a href='https://www.facebook.com/KAMLietuva'>Facebook</a></p>"
    assert _alerts(_page(f"<p>{RULE}</p>"), _page(f"<p>{RULE}</p>{own}"))


def test_links_that_only_say_there_is_more_are_no_content():
    teaser = ("<div class='teaser'><h3><a href='/n/5'>Allies agree on air defence</a></h3>"
              "<p>The ministers agreed to pool resources for air defence.{more}</p></div>")
    for lang, old, new in [("en", " <a href='/n/5'>Read more</a>", ""),
                           ("lt", " <a href='/n/5'>Skaityti daugiau »</a>",
                            " <a href='/n/5?ref=home'>Plačiau</a>"),
                           ("de", " <a href='/n/5'>Weiterlesen…</a>", " <a href='/n/5'>Mehr</a>")]:
        a, b = _page(teaser.format(more=old), lang), _page(teaser.format(more=new), lang)
        assert diff(parse(a), parse(b)) == [], old


def test_times_relative_to_the_check_standing_on_their_own_are_no_change():
    """In a table's column, after an item's title, in a <span>: "2 hours ago" changes with every
    check; the rows and items around it are compared as ever."""
    def table(ages: list[str], rows=("Defence budget", "Personnel", "Procurement")) -> bytes:
        return _page("<table><tr><th>Dataset</th><th>Updated</th></tr>" + "".join(
            f"<tr><td>{r}</td><td>{a}</td></tr>" for r, a in zip(rows, ages)) + "</table>")

    def items(lang: str, ages: list[str], shape: str) -> bytes:
        titles = ["Ministras lankėsi Kyjive", "Patvirtintas biudžetas"]
        return _page("<ul>" + "".join(
            f"<li><a href='/n/{k}'>{t}</a> <span>{a}</span></li>" if shape == "span" else
            f"<li><a href='/n/{k}'>{t}</a> – {a}</li>" for k, (t, a) in enumerate(zip(titles, ages)))
            + "</ul>", lang)

    assert diff(parse(table(["2 hours ago", "5 hours ago", "3 days ago"])),
                parse(table(["3 hours ago", "6 hours ago", "4 days ago"]))) == []
    [added] = _alerts(table(["2 hours ago", "5 hours ago"], rows=("Defence budget", "Personnel")),
                      table(["3 hours ago", "6 hours ago", "1 hour ago"]))
    assert "Procurement" in added.new_text
    for lang, old, new, shape in [("lt", ["prieš 3 val.", "prieš 2 d."], ["prieš 5 val.", "prieš 3 d."], "span"),
                                  ("de", ["vor 3 Stunden", "vor 2 Tagen"], ["vor 5 Stunden", "vor 3 Tagen"], "dash")]:
        assert diff(parse(items(lang, old, shape)), parse(items(lang, new, shape))) == [], old
        assert "Ministras lankėsi Kyjive" in parse(items(lang, new, shape)).sections[-1].text


def _news(lang: str, when: list[str], titles: list[str], tag: str = "span") -> bytes:
    return _page("<ul>" + "".join(
        f"<li><{tag} class='date'>{w}</{tag}> <a href='/n/{k}'>{t}</a></li>"
        for k, (w, t) in enumerate(zip(when, titles))) + "</ul>", lang)


def test_a_day_named_relative_to_the_check_and_its_date_later_are_no_change():
    """"Today, 14:05" is "Yesterday, 14:05" the next day and "3 December 2026" after: the items
    are the same. The day's name (CLDR's, in the page's language) is cut where it stands on its
    own, and a date written where a stored version had a relative time is that time aged."""
    cases = [
        ("en", ["Today, 14:05", "Yesterday, 09:00", "1 December 2026"],
         ["Yesterday, 14:05", "3 December 2026", "1 December 2026"],
         ["Minister meets allies in Riga", "Budget approved", "New procurement rules"]),
        ("lt", ["Šiandien 14:05", "Vakar 09:00", "2026-12-01"], ["Vakar 14:05", "2026-12-03", "2026-12-01"],
         ["Ministras susitiko su sąjungininkais", "Patvirtintas biudžetas", "Naujos taisyklės"]),
        ("de", ["Heute, 14:05 Uhr", "Gestern, 09:00 Uhr", "01.12.2026"],
         ["Gestern, 14:05 Uhr", "03.12.2026", "01.12.2026"],
         ["Minister trifft Verbündete", "Haushalt beschlossen", "Neue Regeln"]),
        ("fr", ["Aujourd’hui, 14h05", "Hier, 09h00", "1 décembre 2026"],
         ["Hier, 14h05", "3 décembre 2026", "1 décembre 2026"],
         ["Le ministre rencontre ses alliés", "Budget adopté", "Nouvelles règles"]),
        ("en", ["3 hours ago", "2 days ago", "1 December 2026"],
         ["1 day ago", "3 December 2026", "1 December 2026"],
         ["Minister meets allies in Riga", "Budget approved", "New procurement rules"]),
        ("en", ["Posted today at 9:15", "Posted yesterday at 16:40"],
         ["Posted yesterday at 9:15", "Posted on 3 December 2026 at 16:40"],
         ["Minister visits Kyiv", "Budget approved"]),
        ("lv", ["Šodien, 14:05", "Vakar, 09:00"], ["Vakar, 14:05", "03.12.2026."],
         ["Ministrs tikās ar sabiedrotajiem", "Budžets apstiprināts"]),
    ]
    for lang, old, new, titles in cases:
        assert _alerts(_news(lang, old, titles), _news(lang, new, titles)) == [], (lang, old)
    # "Aujourd'hui" as a French page's source writes it: its apostrophe an entity.
    for quote in ("&#8217;", "&#039;", "&rsquo;"):
        old, new = ["Aujourd" + quote + "hui, 14h05", "1 décembre 2026"], ["Hier, 14h05", "1 décembre 2026"]
        titles = ["Le ministre rencontre ses alliés", "Nouvelles règles"]
        assert _alerts(_news("fr", old, titles), _news("fr", new, titles)) == [], quote
    # Cards whose <time> held the relative day: the date comes as a passage of its own.
    def cards(first: str, second: str) -> bytes:
        return _page("".join(f"<article><h3>{t}</h3><div><time>{w}</time></div></article>"
                             for t, w in [("Ministras lankėsi Kyjive", first),
                                          ("Patvirtintas biudžetas", second)]), "lt")
    assert _alerts(cards("Šiandien, 10:15", "Vakar, 16:40"),
                   cards("Vakar, 10:15", "2026-12-03 16:40")) == []


def test_a_new_item_of_today_and_a_date_set_where_none_was_relative_still_alert():
    titles = ["Minister meets allies in Riga", "Budget approved"]
    [added] = _alerts(_news("en", ["Yesterday, 14:05", "3 December 2026"], titles),
                      _news("en", ["Today, 08:00", "2 days ago", "3 December 2026"],
                                ["Defence minister resigns", *titles]))
    assert added.new_text == "Defence minister resigns"
    # No time relative to the check on the stored page: an entry given its date is news.
    summits = "<ul><li>{}NATO summit in Ankara</li><li>3 December 2026 Ministers meet</li></ul>"
    [dated] = _alerts(_page(summits.format("")), _page(summits.format("7 July 2026 ")))
    assert dated.category == "revised_figure"
    # The day's name in the page's words stays: "Today: minister resigns" is a headline.
    for old, new in [("<h2>Today: minister resigns</h2><p>He resigned over the budget.</p>",
                      "<h2>Today: minister stays</h2><p>He resigned over the budget.</p>"),
                     ("<p>Today the government approved 3.5 % of GDP.</p>",
                      "<p>Today the government approved 4 % of GDP.</p>"),
                     ("<p><span>Yesterday's meeting</span> was held in Riga.</p>",
                      "<p><span>Yesterday's meeting</span> was held in Tallinn.</p>")]:
        assert len(_alerts(_page(old), _page(new))) == 1, old


def test_an_empty_time_element_without_a_datetime_is_read():
    """An item list whose <time> elements are empty and have no datetime attribute."""
    page = _page("<ul><li><time></time> <a href='/a'>First item of the list</a></li>"
                 "<li><time></time> <a href='/b'>Second item of the list</a></li></ul>")
    assert "First item of the list" in parse(page).sections[-1].text


def test_download_counts_pagers_reading_times_and_page_timings_are_metadata():
    """Lines that only count: how often a file was downloaded, who follows or is online, which
    page of a listing this is, how long the text takes to read (which changes with the text,
    already compared) and how long the server took to make the page."""
    for lang, line, key in [("en", "Downloads: {n}", "views"),
                            ("en", "Subscribers: 1,2{n}", "views"),
                            ("en", "Online: {n} users", "visitors"),
                            ("en", "You are visitor number 12,3{n}", "visitors"),
                            ("en", "Page generated in 0.{n} seconds", "generated_in"),
                            ("lt", "Puslapis sugeneruotas per 0,{n} s", "generated_in"),
                            ("lt", "Atsisiuntimų skaičius: {n}", "views"),
                            ("fr", "Consultée {n} fois", "views"),
                            ("pl", "Liczba pobrań: {n}", "views"),
                            ("en", "Page 1 of {n}", "page"), ("pl", "Strona 1 z {n}", "page"),
                            ("lt", "Puslapis 1 iš {n}", "page"), ("de", "Seite 1 von {n}", "page"),
                            ("en", "Photo 4 of {n}", "page"), ("lt", "Nuotrauka 4 iš {n}", "page"),
                            ("en", "{n} min read", "reading_time"),
                            ("de", "Lesezeit: {n} Minuten", "reading_time"),
                            ("lt", "Skaitymo laikas: {n} min.", "reading_time")]:
        a = _line(line.format(n=11), lang)
        b = _line(line.format(n=12), lang)
        assert diff(parse(a), parse(b)) == [], line
        assert parse(b).metadata[key].endswith("12"), line
    # Such words in a sentence, or a duration on its own, are content.
    for old, new in [("Page 2 of the report lists 11 measures.", "Page 2 of the report lists 12 measures."),
                     ("Downloads of the register rose to 11 thousand.",
                      "Downloads of the register rose to 12 thousand."),
                     ("5 min", "7 min")]:
        assert len(_alerts(_line(old), _line(new))) == 1, old


def test_text_for_screen_readers_only_is_not_the_page():
    """A redesign that adds "(opens in a new window)" for screen readers to every link shows
    the reader nothing new; the names are the frameworks' (Bootstrap, WordPress, Drupal)."""
    links = ("<ul><li><a href='/r.pdf'>Annual report 2025</a>{0}</li>"
             "<li><a href='https://nato.int/'>Summit declaration</a>{1}</li></ul>")
    for lang, extra in [("en", ("<span class='sr-only'> (PDF, opens in a new window)</span>",
                                "<span class='visually-hidden'>(external link)</span>")),
                        ("lt", ("<span class='screen-reader-text'> (atsidaro naujame lange)</span>",
                                "<span class='link element-invisible'>(išorinė nuoroda)</span>"))]:
        assert _alerts(_page(links.format("", ""), lang), _page(links.format(*extra), lang)) == []
    # A class that only contains such a word ("sr-only-note" is not one) stays.
    [shown] = _alerts(_page(links.format("", "")),
                      _page(links.format("<span class='sr-only-note'> (updated)</span>", "")))
    assert "(updated)" in shown.new_text


def test_ratings_refresh_times_and_iso_stamps_are_metadata():
    for lang, old, new in [("en", "Rating: 4.5 (120 votes)", "Rating: 4.4 (127 votes)"),
                           ("lt", "Įvertinimas: 4,5 (120 balsų)", "Įvertinimas: 4,4 (127 balsų)"),
                           ("en", "Last refresh: 3 December 2026 10:01", "Last refresh: 4 December 2026 11:40"),
                           ("en", "Data as of 2026-12-03T10:01:33Z", "Data as of 2026-12-04T09:12:05Z"),
                           ("de", "Stand: 2026-12-04T09:12+01:00", "Stand: 2026-12-05T08:00+01:00")]:
        assert _alerts(_line(old, lang), _line(new, lang)) == [], old
    # An ISO timestamp is read as its date: a passage whose date changed says so.
    [moved] = _alerts(_page("<p>The exercise starts 2026-12-03T10:00Z in Pabradė.</p>"),
                      _page("<p>The exercise starts 2026-12-05T10:00Z in Pabradė.</p>"))
    assert moved.figures[0]["new_iso"] == "2026-12-05"


def test_votes_alone_are_content():
    """A parliament's vote is news; only a rating's votes are the readers'."""
    [vote] = _alerts(_line("Votes: 71"), _line("Votes: 69"))
    assert vote.category == "revised_figure"
    assert _alerts(_line("Įvertinimas: 4,5/5", "lt"), _line("Įvertinimas: 4,4/5", "lt")) == []


def test_countdowns_tickers_marquees_and_feedback_widgets_are_furniture():
    """Widgets that change by the hour or the day beside the content, named so by their class
    or drawn in a <marquee>; the same figures in the content are news."""
    rule = ("<p>The summit opens on 7 July 2026 in Ankara.</p><p>Heads of state and government "
            "will review the defence investment pledge, the support for Ukraine and the "
            "alliance's posture on its eastern flank.</p>")
    for old, new in [("<div class='summit-countdown'><span>12</span> days to go</div>",
                      "<div class='summit-countdown'><span>11</span> days to go</div>"),
                     ("<div class='news-ticker'>EUR/USD 1.0823</div>",
                      "<div class='news-ticker'>EUR/USD 1.0791</div>"),
                     ("<marquee>Registration closes in 12 days</marquee>",
                      "<marquee>Registration closes in 11 days</marquee>"),
                     ("<div class='page-feedback'>Was this page helpful? Yes (12) No (3)</div>",
                      "<div class='page-feedback'>Was this page helpful? Yes (14) No (3)</div>"),
                     ("<div class='star-rating'>4.5 (120)</div>",
                      "<div class='star-rating'>4.4 (127)</div>")]:
        assert _alerts(_page(rule + old), _page(rule + new)) == [], old
    [news] = _alerts(_page(rule + "<p>Registration closes in 12 days.</p>"),
                     _page(rule + "<p>Registration closes in 11 days.</p>"))
    assert news.category == "revised_figure"


def test_a_counter_in_a_passages_last_parentheses_is_metadata():
    """"Annual report (downloaded 340 times)": the report stays, its counter goes; other words
    in parentheses are the passage's."""
    for lang, old, new in [("en", "downloaded 340 times", "downloaded 352 times"),
                           ("lt", "atsisiųsta 12 kartų", "atsisiųsta 15 kartų"),
                           ("en", "3 hours ago", "5 hours ago")]:
        page = (lambda n: _page(f"<p>{RULE}</p><ul><li><a href='/r.pdf'>Annual report</a> ({n})"
                                "</li><li><a href='/p.pdf'>Procurement plan</a></li></ul>", lang))
        assert _alerts(page(old), page(new)) == [], old
        assert "Annual report" in parse(page(new)).sections[-1].text
    [edition] = _alerts(_line("Annual report (2025)"), _line("Annual report (2026)"))
    assert edition.new_text == "Annual report (2026)"
