"""Change classification on the project's own page histories and the real EDGI corpus."""

from __future__ import annotations

import json
import subprocess

import pytest

from docwatch.demo.history import kam_page, kam_text, urm_page, urm_text
from docwatch.diffing import classify, diff
from docwatch.models import Document
from docwatch.parsing import parse

from .conftest import EXE, FIXTURES


def _urm(date: str, text: str | None = None, layout: str = "2022"):
    return parse(urm_page(text if text is not None else urm_text(date), date, layout=layout))


def _alerts(changes):
    return [c for c in changes if c.alert]


def test_noise_only_versions_do_not_alert():
    kam = diff(parse(kam_page(kam_text("2011-03-31"), "2011-03-31")),
               parse(kam_page(kam_text("2011-03-31"), "2011-06-15")))
    assert kam == []
    assert diff(_urm("2022-09-01"), _urm("2022-09-01", urm_text("2022-09-01").replace(
        "2022-09-01", "x"))) == []


def test_redesign_with_identical_text_does_not_alert():
    text = urm_text("2024-07-15")
    assert _alerts(diff(_urm("2024-07-15", text), _urm("2025-02-03", text, "2025"))) == []


def test_new_entry_revised_figure_and_removed_item():
    changes = diff(_urm("2023-07-20"), _urm("2024-04-02"))
    by_cat = {}
    for c in changes:
        by_cat.setdefault(c.category, []).append(c)
    assert [c.section[-1] for c in by_cat["new_entry"]] == [
        "18 December 2023", "7 March 2024", "29 March 2024"]
    (figure,) = by_cat["revised_figure"]
    assert figure.figures == [{"old": "2.5 %", "new": "3 %"}]
    assert figure.section[-1] == "Legal framework related to Lithuania’s NATO membership"
    (removed,) = by_cat["content_removed"]
    assert removed.old_text == "Continue participation in NATO operations and missions."
    assert all(c.alert for c in changes)
    assert figure.significance > 0.5 and by_cat["new_entry"][0].significance > 0.5


def _day_list(items: list[tuple[str, str]], shape: str) -> bytes:
    """A list of publications, several a day: as a Lithuanian news list or a table."""
    if shape == "list":
        rows = "".join(f"<li><strong>{d}</strong> {t}</li>" for d, t in items)
        body = f"<h2>Naujienos</h2><ul>{rows}</ul>"
    else:
        rows = "".join(f"<tr><td>{d}</td><td>{t}</td></tr>" for d, t in items)
        body = f"<h2>Publications</h2><table><tr><th>Date</th><th>Title</th></tr>{rows}</table>"
    return (f"<html lang='{'lt' if shape == 'list' else 'en'}'><body><main><h1>Ministerija</h1>"
            f"<p>Pranešimai spaudai ir sprendimai skelbiami kiekvieną darbo dieną.</p>{body}"
            "</main></body></html>").encode()


def test_a_days_newest_pushing_its_oldest_off_is_one_new_and_one_removed_entry():
    day, before = "2026-12-03", "2026-12-01"
    for shape in ("list", "table"):
        old = [(day, "Ministras susitiko su Latvijos kolega"), (day, "Patvirtintas biudžetas"),
               (day, "Pasirašytas susitarimas su Lenkija"), (before, "Pratybos Pabradėje")]
        new = [(day, "Gynybos tarybos posėdis dėl oro gynybos")] + old[:2] + old[3:]
        changes = _alerts(diff(parse(_day_list(old, shape)), parse(_day_list(new, shape))))
        assert sorted((c.category, c.new_text or c.old_text) for c in changes) == [
            ("new_entry", "Gynybos tarybos posėdis dėl oro gynybos"),
            ("removed_entry", "Pasirašytas susitarimas su Lenkija")], shape
        # the one entry of a date, rewritten, is still that entry edited
        edited = old[:3] + [(before, "Pratybos Pabradėje atšauktos dėl oro sąlygų")]
        [change] = _alerts(diff(parse(_day_list(old, shape)), parse(_day_list(edited, shape))))
        assert change.kind == "modified" and change.section[-1] == before, shape


def test_a_list_numbered_in_its_text_renumbered_is_one_change():
    """An item put at the head of a list numbered in its text renumbers the rest: one added
    item, not a revised figure for each number after it; a figure in an item still is one."""
    def page(items: list[str], shape: str) -> Document:
        if shape == "paragraphs":
            body = "".join(f"<p>{k}. {t}</p>" for k, t in enumerate(items, 1))
        else:
            body = "<ul>" + "".join(f"<li>({k}) {t}</li>" for k, t in enumerate(items, 1)) + "</ul>"
        return parse(f"<html><body><main><h1>Priorities</h1>{body}</main></body></html>")

    items = ["Strengthen air defence.", "Expand conscription to 5,000 a year.",
             "Invest in ammunition production."]
    for shape in ("paragraphs", "list"):
        [added] = _alerts(diff(page(items, shape), page(["Protect critical infrastructure."]
                                                         + items, shape)))
        assert added.kind == "added" and "Protect critical infrastructure" in added.new_text
        [removed] = _alerts(diff(page(items, shape), page(items[:1] + items[2:], shape)))
        assert removed.kind == "removed" and "conscription" in removed.old_text
        [figure] = _alerts(diff(page(items, shape), page(
            [items[0], items[1].replace("5,000", "6,000"), items[2]], shape)))
        assert figure.figures == [{"old": "5,000", "new": "6,000"}], shape
    # a day that opens a date is no list's number: "3. Dezember" moved to "4. Dezember" alerts
    for lang, line in [("de", "{d}. Dezember 2026: Treffen der Verteidigungsminister in Brüssel"),
                       ("lv", "{d}. decembrī ministrs tikās ar kolēģiem Rīgā.")]:
        dated = (lambda d: parse(f"<html lang='{lang}'><body><main><h1>Termine</h1><p>Die Termine."
                                 f"</p><p>{line.format(d=d)}</p></main></body></html>"))
        [moved_day] = _alerts(diff(dated(3), dated(4)))
        assert moved_day.category == "revised_figure", lang


def test_a_teaser_cut_at_another_word_is_no_alert():
    """A listing shows the start of each article, cut with an ellipsis where the site likes:
    cut later, or shown whole, it is the same text; its words changed, it alerts."""
    def page(teaser: str, shape: str) -> Document:
        item = (f"<li><a href='/n/5'>Allies agree on air defence</a> – {teaser}</li>"
                if shape == "list" else f"<h2>Allies agree on air defence</h2><p>{teaser}</p>")
        return parse(f"<html><body><main><h1>News</h1><ul>{item}</ul></main></body></html>"
                     if shape == "list" else
                     f"<html><body><main><h1>News</h1>{item}</main></body></html>")

    lead = "The ministers agreed to pool resources for air defence and to"
    for shape in ("list", "paragraph"):
        for old, new in [(f"{lead}…", f"{lead} buy…"), (f"{lead}...", f"{lead} buy systems.")]:
            changes = diff(page(old, shape), page(new, shape))
            assert [c.category for c in changes] == ["minor_edit"], (shape, new)
        assert _alerts(diff(page(f"{lead}…", shape), page(f"{lead.replace('pool', 'share')}…",
                                                            shape)))


def test_an_entry_that_moves_to_another_section_is_moved():
    """An event passes from "Upcoming" to "Past", a news item from the top list to the rest:
    the same date and words elsewhere, quiet; moved with its words changed, it alerts."""
    def page(first: list[tuple[str, str]], then: list[tuple[str, str]], shape: str) -> Document:
        if shape == "events":
            lists = [f"<h2>{h}</h2><ul>" + "".join(f"<li>{d}: {t}</li>" for d, t in items)
                     + "</ul>" for h, items in (("Upcoming events", first), ("Past events", then))]
        else:
            lists = [f"<h2>{h}</h2>" + "".join(f"<p><strong>{d}</strong> {t}</p>" for d, t in items)
                     for h, items in (("Svarbiausios naujienos", first), ("Kitos naujienos", then))]
        return parse(f"<html lang='{'en' if shape == 'events' else 'lt'}'><body><main>"
                     f"<h1>Ministry</h1>{''.join(lists)}</main></body></html>")

    later = ("10 December 2026", "Defence ministers meeting in Brussels")
    passed = ("2 December 2026", "Conference on cyber defence")
    older = ("20 November 2026", "Exercise in Pabradė")
    for shape in ("events", "news"):
        before = page([later, passed], [older], shape)
        changes = diff(before, page([later], [passed, older], shape))
        assert [c.category for c in changes] == ["moved"] and not _alerts(changes), shape
        reworded = (passed[0], "Conference on cyber defence postponed")
        assert _alerts(diff(before, page([later], [reworded, older], shape))), shape


def test_an_amount_written_another_way_is_a_minor_edit():
    """The same amount in other scale words is style; another amount is a revised figure."""
    for lang, old, same, other in [
            ("en", "The defence budget is EUR 2.5 billion in 2026.",
             "The defence budget is EUR 2,500 million in 2026.",
             "The defence budget is EUR 2.5 million in 2026."),
            ("lt", "Gynybos biudžetas – 2,5 mlrd. eurų.", "Gynybos biudžetas – 2500 mln. eurų.",
             "Gynybos biudžetas – 2,6 mlrd. eurų."),
            # French names the currency after "de": "milliards d'euros" is "Md€".
            ("fr", "Le budget atteint 50,5 milliards d'euros.", "Le budget atteint 50,5 Md€.",
             "Le budget atteint 50,5 millions d'euros.")]:
        page = (lambda text: parse(f"<html lang='{lang}'><body><main><h1>Budget</h1><p>{text}</p>"
                                   "</main></body></html>"))
        assert [c.category for c in diff(page(old), page(same))] == ["minor_edit"], lang
        [figure] = _alerts(diff(page(old), page(other)))
        assert figure.category == "revised_figure", lang


def test_year_corrected_in_an_entry_and_spelling_fix():
    changes = diff(_urm("2024-04-02"), _urm("2024-07-15"))
    year = next(c for c in changes if c.section[-1] == "3-4 December 2019")
    assert year.category == "revised_figure" and year.alert
    spelling = next(c for c in changes if c.category == "minor_edit")
    assert ["-", "fulfill"] in spelling.diff and ["+", "fulfil"] in spelling.diff
    assert spelling.alert is False


def test_country_removed_from_a_sentence_is_a_text_edit():
    changes = diff(parse(kam_page(kam_text("2011-03-31"), "2011-03-31")),
                   parse(kam_page(kam_text("2014-09-10"), "2014-09-10")))
    edit = changes[0]
    assert edit.category == "text_edit" and edit.alert
    assert ["-", ", Russia"] in edit.diff


def test_a_moved_section_is_recorded_without_alert():
    text = urm_text("2022-09-01")
    start = text.index("<h2>Legal framework")
    end = text.index("<h2>Lithuania on its way")
    moved = text[:start] + text[end:] + text[start:end]
    changes = diff(_urm("2022-09-01", text), _urm("2022-09-01", moved))
    assert changes and all(c.kind == "moved" and not c.alert for c in changes)


@pytest.mark.parametrize("old, new, category", [
    ("Lithuania organises courses.", "Lithuania organizes courses.", "minor_edit"),
    ("Lithuania organises courses.", "lithuania organises courses!", "minor_edit"),
    ("Spend 2.5 % of GDP.", "Spend 3 % of GDP.", "revised_figure"),
    ("Spend 2.5 % of GDP.", "Spend 2.5% of GDP.", "minor_edit"),
    ("Partners: Belarus, Moldova.", "Partners: Moldova.", "text_edit"),
    ("About 4,000 troops.", "About 4,800 troops.", "revised_figure"),
])
def test_classify(old, new, category):
    assert classify(old, new)[0] == category


def test_identical_documents_have_no_changes(urm_2022):
    assert diff(parse(urm_2022), parse(urm_2022)) == []


def test_edgi_corpus_scores_all_six_cases():
    cases = json.loads((FIXTURES / "edgi/cases.json").read_text())
    for case in cases:
        out = subprocess.run(
            [str(EXE), "diff", str(FIXTURES / f"edgi/{case['old']}.html"),
             str(FIXTURES / f"edgi/{case['new']}.html"), "--json"],
            capture_output=True, text=True, check=True)
        alerts = [c for c in json.loads(out.stdout)["changes"] if c["alert"]]
        for expect in case["expect"]:
            assert any(expect.get("old", "") in (c["old_text"] or "")
                       and expect.get("new", "") in (c["new_text"] or "") for c in alerts), case["name"]
        if not case.get("ignore_extra"):
            assert len(alerts) == len(case["expect"]), case["name"]


def _grouped(groups: list[tuple[str, list[str]]], lang: str = "en") -> Document:
    return parse(f"<html lang='{lang}'><body><main><h1>News</h1><p>The ministry publishes its "
                 "statements and decisions on this page every working day.</p>" + "".join(
                     f"<h2>{heading}</h2><ul>" + "".join(f"<li>{item}</li>" for item in items)
                     + "</ul>" for heading, items in groups) + "</main></body></html>")


def test_passages_moved_under_a_new_heading_are_a_move_and_the_heading():
    """A whole section whose passages all left (or joined) the others: items regrouped, so
    the heading is the news and the items moved; a section of new items is one alert."""
    a, b = ["Minister meets allies in Riga", "Air defence exercise begins"], \
        ["Budget approved by the government", "New procurement rules adopted"]
    for old, new, kind in [([("Defence", a + b)], [("Defence", a), ("Procurement", b)], "added"),
                           ([("Defence", a), ("Procurement", b)], [("Defence", a + b)], "removed")]:
        changes = diff(_grouped(old), _grouped(new))
        [heading] = _alerts(changes)
        assert (heading.kind, heading.old_text or heading.new_text) == (kind, "Procurement")
        assert sorted(c.new_text for c in changes if c.kind == "moved") == sorted(b)
    [whole] = _alerts(diff(_grouped([("Defence", a)]),
                           _grouped([("Defence", a), ("Cyber", ["Cyber command set up"])])))
    assert whole.new_text == "Cyber\nCyber command set up"


def test_news_grouped_under_today_and_yesterday_age_without_a_change():
    """"Today" and "Yesterday" group a day's news; a day later "Yesterday" is a date."""
    a, b = ["Minister meets allies in Riga", "Air defence exercise begins"], \
        ["Budget approved by the government", "New procurement rules adopted"]
    for lang, days, date in [("en", ("Today", "Yesterday"), "3 December 2026"),
                             ("lt", ("Šiandien", "Vakar"), "2026-12-03")]:
        old = _grouped([(days[0], a), (days[1], b)], lang)
        assert _alerts(diff(old, _grouped([(days[1], a), (date, b)], lang))) == [], lang
        [new] = _alerts(diff(old, _grouped([(days[0], ["Defence minister resigns"]),
                                            (days[1], a), (date, b)], lang)))
        assert new.new_text == "Defence minister resigns"
