"""The structure model on page shapes of our own making, one or more per failure class: a root
that stays put, listing items as entries, corrected dates, volatile lines, link churn,
repeated blocks, transliteration fixes."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from docwatch.diffing import diff
from docwatch.parsing import parse


def changes(old: str, new: str):
    return diff(parse(old.encode()), parse(new.encode()))


def alerts(old: str, new: str):
    return [c for c in changes(old, new) if c.alert]


def page(body: str, *, lang: str = "en", aside: str = "") -> str:
    return f"""<!doctype html><html lang="{lang}"><head><title>Ministry</title></head><body>
    <header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
    <div class="layout"><div class="col-main">{body}</div>{aside}</div>
    <footer><p>© Ministry</p></footer></body></html>"""


# --- 1. the content root stays put as a table grows ------------------------------------

INTRO = ("<h1>Membership in the Alliance</h1><h2>Commitments</h2>"
         "<p>All parties commit to spend at least 2.5 % of GDP on defence and to link the "
         "funding to the Alliance's capability targets for the next decade.</p>"
         "<h2>Legal framework</h2><p>The Seimas ratified the treaty and the law on the "
         "participation of the armed forces in international operations.</p>")


def chronology_page(rows: int) -> str:
    body = "".join(f"<tr><td>{d} March {1990 + d}</td><td>Event number {d}: delegations met "
                   f"in the capital and signed the protocol on cooperation.</td></tr>"
                   for d in range(1, rows + 1))
    return page(INTRO + f"<h2>Chronology</h2><table>{body}</table>")


def test_a_growing_table_never_becomes_the_root():
    share = []
    versions = [chronology_page(n) for n in (3, 5, 8, 12, 16)]
    for html in versions:
        doc = parse(html.encode())
        table = next(s for s in doc.sections if s.heading == "Chronology")
        share.append(len(table.text) / len(doc.text))
        assert [s.heading for s in doc.sections] == [
            "Membership in the Alliance", "Commitments", "Legal framework", "Chronology"]
    assert share[0] < 0.45 and share[-1] > 0.7  # the table went from under half to most
    for old, new in zip(versions, versions[1:]):
        found = changes(old, new)
        assert {c.category for c in found} == {"new_entry"}
        assert all(c.section[:2] == ["Membership in the Alliance", "Chronology"] for c in found)


# --- 2. listing items are one entry --------------------------------------------------------

def slug(title: str) -> str:
    return "-".join(title.lower().split())


def news_list(items: list[tuple[str, str, str]]) -> str:
    li = "".join(f'<li class="news-item"><a href="/news/{slug(title)}">{title}</a><p>{lead}</p>'
                 f'<span class="date">{date}</span></li>' for title, lead, date in items)
    return page(f"<h1>News</h1><ul class='news'>{li}</ul>")


NEWS = [("Minister meets Baltic counterparts", "The ministers discussed air defence.", "12.03.2024"),
        ("Agreement on training signed", "The agreement covers joint exercises.", "05.03.2024"),
        ("Delegation visits Kyiv", "Humanitarian aid was handed over.", "28.02.2024")]


def test_news_item_with_its_date_after_the_lead_is_one_new_entry():
    new = [("Brigade deployment plan approved", "The plan sets out the next steps.", "14.03.2024")]
    found = changes(news_list(NEWS), news_list(new + NEWS))
    assert [(c.category, c.section[-1], c.date) for c in found] == [
        ("new_entry", "14.03.2024", "2024-03-14")]
    assert found[0].new_text == "Brigade deployment plan approved The plan sets out the next steps."
    # the oldest item dropping off the list is one removed entry, nothing else
    dropped = changes(news_list(new + NEWS), news_list(new + NEWS[:2]))
    assert [c.category for c in dropped] == ["removed_entry"]


def card_grid(cards: list[tuple[str, str]]) -> str:
    body = "".join(f'<article class="card"><h3><a href="/a/{slug(title)}">{title}</a></h3>'
                   f'<time datetime="{iso}">{_long(iso)}</time></article>'
                   for title, iso in cards)
    return page(f"<h1>Press releases</h1><section class='grid'>{body}</section>")


def _long(iso: str) -> str:
    y, m, d = iso.split("-")
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    return f"{months[int(m) - 1]} {int(d)}, {y}"


def test_card_grid_with_time_elements_gives_one_entry_per_card():
    cards = [("Statement on the summit outcome", "2024-07-11"),
             ("Joint communiqué with Poland", "2024-07-02"),
             ("Minister's speech at the conference", "2024-06-20")]
    doc = parse(card_grid(cards).encode())
    blocks = [b for s in doc.sections for b in s.blocks]
    assert [(b.kind, b.date) for b in blocks] == [("entry", "July 11, 2024"), ("entry", "July 2, 2024"),
                                                  ("entry", "June 20, 2024")]
    found = changes(card_grid(cards), card_grid([("New sanctions package", "2024-07-15")] + cards))
    assert [(c.category, c.date) for c in found] == [("new_entry", "2024-07-15")]


# --- 3. a corrected date ------------------------------------------------------------------

def dl_chronology(first: str) -> str:
    return page("<h1>Road to membership</h1><dl>"
                f"<dt>{first}</dt><dd>The Council of Europe opened its doors to the country.</dd>"
                "<dt>29 March 2004</dt><dd>The country became a full member of the Alliance.</dd>"
                "</dl>")


def test_an_entry_whose_date_alone_changes_is_a_revised_figure():
    found = changes(dl_chronology("17 November 1990"), dl_chronology("16 November 1990"))
    assert [c.category for c in found] == ["revised_figure"]
    assert found[0].figures[0]["old"] == "17 November 1990"
    assert found[0].figures[0]["new"] == "16 November 1990"
    assert found[0].alert


# --- 4. volatile lines wherever they stand ------------------------------------------------

def dated_paragraphs(views: int, updated: str, extra: str = "") -> str:
    return page(f"<h1>Events</h1><p>Last updated on {updated}</p>"
                "<p><strong>3 April 2024</strong></p><p>Foreign ministers met in Brussels.</p>"
                f"<p><strong>4 April 2024</strong></p><p>The Alliance marked its anniversary.</p>{extra}"
                f"<p>Views: {views}</p>")


def test_counter_after_the_last_entry_and_updated_line_at_the_top_are_metadata():
    a = dated_paragraphs(1523, "19 November 2025 at 07:56")
    b = dated_paragraphs(1611, "20 November 2025 at 15:00")
    assert changes(a, b) == []
    doc = parse(b.encode())
    assert doc.metadata == {"updated": "20 November 2025 at 15:00", "views": "1611"}
    last = [blk for s in doc.sections for blk in s.blocks][-1]
    assert last.text == "The Alliance marked its anniversary."


def test_an_updated_word_in_a_sentence_is_content():
    text = "<p>The list was updated in 2023 to include Finland and Sweden.</p>"
    doc = parse(page("<h1>Members</h1>" + text).encode())
    assert "updated in 2023" in doc.text


# --- 5. link churn ------------------------------------------------------------------------

def documents(href: str, text: str = "National Security Strategy (PDF, 637 kB)") -> str:
    return page(f"<h1>Documents</h1><p>The strategy was approved by the Seimas.</p>"
                f'<ul><li><a href="{href}">{text}</a></li><li><a href="/docs/law.pdf">Law on '
                "Defence</a></li></ul>")


def test_cache_busting_and_tracking_parameters_are_noise():
    assert changes(documents("/docs/strategy.pdf?1764253365"), documents("/docs/strategy.pdf?1764322887")) == []
    assert changes(documents("/docs/strategy.pdf?utm_source=x&utm_medium=y"),
                   documents("/docs/strategy.pdf")) == []
    assert changes(documents("/docs/strategy.pdf?v=20240101"), documents("/docs/strategy.pdf?v=20240315")) == []


def test_a_web_archives_copies_of_one_link_are_that_link():
    """Each capture of a page in a web archive links to the archive's copy of each link, named
    by the capture's time: the link is the address archived, so captures compare as pages."""
    for old, new in [("https://web.archive.org/web/20261203100133/https://kam.lt/docs/strategy.pdf",
                      "https://web.archive.org/web/20261204091205/https://kam.lt/docs/strategy.pdf"),
                     ("/web/20261203100133/https://kam.lt/docs/strategy.pdf",
                      "/web/20261204091205if_/https://kam.lt/docs/strategy.pdf"),
                     ("https://webarchive.nationalarchives.gov.uk/ukgwa/20200101120000/"
                      "https://www.gov.uk/strategy.pdf",
                      "https://webarchive.nationalarchives.gov.uk/ukgwa/20210101120000/"
                      "https://www.gov.uk/strategy.pdf")]:
        assert changes(documents(old), documents(new)) == [], old
    # A site's own path of digits is its own.
    assert len(changes(documents("/12345678/strategy.pdf"), documents("/12345679/strategy.pdf"))) == 1


def test_a_redirectors_link_is_the_url_it_carries_whatever_its_token():
    """A platform's outbound links go through a redirector with a token made per request:
    each check's links differ only there. The link is where it leads."""
    for shape in ("/l.php?u={url}&h={token}", "https://www.google.com/url?q={url}&sa=D&ust={token}",
                  "https://eur01.safelinks.protection.outlook.com/?url={url}&data=05%7C{token}"
                  "&reserved=0"):
        links = [shape.format(url=quote(url, safe=""), token=token) for url, token in [
            ("https://kam.lt/docs/strategy.pdf", "AT3xkQ9zLm0_p7"),
            ("https://kam.lt/docs/strategy.pdf", "AT1bQ2w8Yy4-Rt")]]
        assert changes(documents(links[0]), documents(links[1])) == [], shape
        moved = shape.format(url=quote("https://kam.lt/docs/strategy-2026.pdf", safe=""),
                             token="AT9")
        assert [c.new_text for c in changes(documents(links[0]), documents(moved))] == [
            "National Security Strategy (PDF, 637 kB) <strategy-2026.pdf>"], shape
    # A query holding no whole URL is the link's own.
    assert len(changes(documents("/search?q=strategy"), documents("/search?q=law"))) == 1


def test_a_link_pointing_to_another_document_alerts_without_raw_urls():
    """SPEC: a link whose target becomes another document alerts (issue 36; it was quiet)."""
    found = changes(documents("/docs/strategy-2017.pdf"), documents("/docs/strategy-2021.pdf"))
    assert [(c.category, c.alert) for c in found] == [("text_edit", True)]
    assert "strategy-2021.pdf" in found[0].new_text and "://" not in found[0].new_text


# --- 6. repeated blocks -------------------------------------------------------------------

def faq(answer: str) -> str:
    overview = f"<h2>Overview</h2><p>How do I apply for a permit?</p><p>{answer}</p>"
    accordion = (f'<h2>All questions</h2><div class="accordion"><details><summary>How do I apply '
                 f"for a permit?</summary><p>{answer}</p></details></div>")
    return page("<h1>Frequently asked questions</h1>" + overview + accordion)


def test_the_same_change_in_a_repeated_block_is_one_alert_naming_both_places():
    old = faq("Send the form to the municipality by post; it is answered within 20 days.")
    new = faq("Send the form to the municipality online; it is answered within 10 days.")
    found = changes(old, new)
    assert len(found) == 1
    assert found[0].section[-1] == "Overview"
    assert "also in" in found[0].locator and "All questions" in found[0].locator


# --- 7. transliteration fixes -------------------------------------------------------------

def test_a_transliteration_fix_with_a_quote_style_change_is_a_minor_edit():
    a = page("<h1>Partners</h1><p>Ties with Kazakhstan, Tadzhikistan and the People‘s Republic "
             "of China are developing.</p>")
    b = page("<h1>Partners</h1><p>Ties with Kazakhstan, Tajikistan and the People's Republic "
             "of China are developing.</p>")
    found = changes(a, b)
    assert [(c.category, c.alert) for c in found] == [("minor_edit", False)]


@pytest.mark.parametrize("label", ["Visitors today", "Lankytojų šiandien", "Besucher heute",
                                   "Visitors online now"])
def test_a_counter_labelled_with_several_words_is_noise(label):
    def page(n: int) -> bytes:
        return (f"<html><body><h1>Defence</h1><p>Spending will reach 2.5 % of GDP.</p>"
                f"<p>{label}: {n}</p></body></html>").encode()

    assert diff(parse(page(1)), parse(page(2))) == []
    assert label not in parse(page(1)).text


def test_a_heading_that_is_a_date_opens_an_entry_unless_a_list_follows_it():
    from docwatch.parsing import parse

    doc = parse(b"<main><h1>Log</h1><h3>4 December 2025</h3><p>The council met.</p>"
                b"<h3>5 December 2025</h3><ul><li>Item one of the day</li><li>Item two</li></ul>"
                b"</main>")
    entry, section = doc.sections
    assert [(b.kind, b.date, b.text) for b in entry.blocks] == [
        ("entry", "4 December 2025", "The council met.")]
    assert section.path == ("Log", "5 December 2025") and len(section.blocks) == 2


def test_a_table_of_contents_does_not_say_a_new_section_twice():
    from docwatch.diffing import diff
    from docwatch.parsing import parse

    def page(sections):
        toc = "".join(f"<li><a href='#s{k}'>{h}</a></li>" for k, h in enumerate(sections))
        body = "".join(f"<h2 id='s{k}'>{h}</h2><p>What applicants need to know about "
                       f"{h.lower()}.</p>" for k, h in enumerate(sections))
        return f"<main><h1>Guidance</h1><h2>Contents</h2><ul>{toc}</ul>{body}</main>".encode()

    [alert] = [c for c in diff(parse(page(["Eligibility", "How to apply"])),
                               parse(page(["Eligibility", "Fees", "How to apply"]))) if c.alert]
    assert alert.section[-1] == "Fees"
