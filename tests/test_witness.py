"""Alerts the words bear out: the same words cut into blocks differently are no change, and
where words did change the alert shows exactly those words (see docwatch/witness.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docwatch.diffing import diff
from docwatch.parsing import parse

from . import pdfs

EVENTS = [("11-12 July 2023", "NATO Summit took place in Vilnius. Allies agreed on new "
           "regional defence plans."),
          ("4 April 2023", "Finland joined NATO as its 31st member."),
          ("7 March 2024", "Sweden joined NATO as the 32nd member of the Alliance.")]


def _page(body: str) -> bytes:
    return (f"<html><body><nav><a href='/'>Home</a></nav><main><h1>Lithuania and NATO</h1>"
            f"{body}</main></body></html>").encode()


def _alerts(old: bytes, new: bytes):
    return [c for c in diff(parse(old), parse(new)) if c.alert]


def _table(events) -> bytes:
    rows = "".join(f"<tr><td>{d}</td><td>{t}</td></tr>" for d, t in events)
    return _page(f"<h2>Chronology</h2><table>{rows}</table>")


def _cards(events, odd: str) -> bytes:
    """The chronology as cards; the first card's date cell holds a little more than a date."""
    cards = "".join(
        f"<div class='card'><div class='when'>{odd.format(d) if k == 0 else d}</div>"
        f"<p>{t}</p></div>" for k, (d, t) in enumerate(events))
    return _page(f"<h2>Chronology</h2>{cards}")


def test_a_chronology_from_table_rows_to_cards_with_an_odd_date_cell_is_no_alert():
    for odd in ("2023 {}", "{} 2023", "{}*", "<span>{}</span> <small>†</small>"):
        old, new = _table(EVENTS), _cards(EVENTS, odd)
        assert _alerts(old, new) == [], odd
        assert _alerts(new, old) == [], odd


def test_a_real_edit_inside_a_re_cut_chronology_is_one_alert_with_its_words():
    edited = [EVENTS[0], (EVENTS[1][0], EVENTS[1][1].replace("31st", "thirty-first")), EVENTS[2]]
    [alert] = _alerts(_table(EVENTS), _cards(edited, "2023 {}"))
    assert ["+", "thirty-first"] in alert.diff and alert.section[-1] == "4 April 2023"


PARAS = ["Lithuania spends a growing share of its budget on defence and keeps its forces ready.",
         "The government works with its allies on air defence, training and host nation support.",
         "Conscription was restored in 2015 and remains part of the national defence system."]


def test_merged_split_and_listed_paragraphs_are_no_alert():
    apart = _page("".join(f"<p>{p}</p>" for p in PARAS))
    merged = _page(f"<p>{PARAS[0]} {PARAS[1]}</p><p>{PARAS[2]}</p>")
    halves = [(p.split()[:6], p.split()[6:]) for p in PARAS]
    split = _page("".join(f"<p>{' '.join(a)}</p><p>{' '.join(b)}</p>" for a, b in halves))
    listed = _page("<ul>" + "".join(f"<li>{p}</li>" for p in PARAS) + "</ul>")
    for a in (apart, merged, split, listed):
        for b in (apart, merged, split, listed):
            assert _alerts(a, b) == [], (a, b)


def test_a_word_added_while_merging_is_one_alert_showing_that_word_alone():
    apart = _page("".join(f"<p>{p}</p>" for p in PARAS))
    merged = _page(f"<p>{PARAS[0]} {PARAS[1].replace('training', 'joint training')}</p>"
                   f"<p>{PARAS[2]}</p>")
    [alert] = _alerts(apart, merged)
    assert alert.category == "text_edit"
    assert [op for op in alert.diff if op[0] != "="] == [["+", "joint "]]


def test_a_figure_revised_while_splitting_is_one_revised_figure():
    whole = _page(f"<p>{PARAS[0]} It reached 2.5 % of GDP in 2023.</p>")
    split = _page(f"<p>{PARAS[0]}</p><p>It reached 3 % of GDP in 2023.</p>")
    [alert] = _alerts(whole, split)
    assert alert.category == "revised_figure"
    assert alert.figures == [{"old": "2.5 %", "new": "3 %"}]


def test_a_pdf_form_whose_lines_are_rejoined_on_re_layout_is_no_alert():
    old, new = parse(pdfs.form(1)), parse(pdfs.form(2))
    assert len(old.sections[-1].blocks) != len(new.sections[-1].blocks)  # really re-cut
    assert [c for c in diff(old, new) if c.alert] == []


def test_a_link_moved_between_re_cut_blocks_is_no_alert_and_a_link_removed_still_is():
    old = _page("<p>Read the <a href='/strategy.pdf'>strategy</a>.</p><p>And the plan.</p>")
    merged = _page("<p>Read the <a href='/strategy.pdf'>strategy</a>. And the plan.</p>")
    assert _alerts(old, merged) == []
    gone = _page("<p>Read the strategy. And the plan.</p>")
    [alert] = _alerts(old, gone)
    assert "strategy.pdf" in alert.old_text


# --- property: re-cutting never alerts, one word changed alerts once ------------------

VOCABULARY = ("defence budget allies training summit alliance forces brigade energy grid "
              "border support exercise treaty council minister agreement region").split()
sentence = st.lists(st.sampled_from(VOCABULARY), min_size=3, max_size=9).map(
    lambda ws: " ".join(ws).capitalize() + ".")
DATES = ["17 November 1990", "3 April 2019", "27 June 2022", "1 May 2004", "11 July 2023"]


def _layout(items: list[tuple[str | None, str]], cut: int) -> str:
    """The same dated and undated sentences, cut into blocks one of several ways."""
    if cut == 0:  # a paragraph each, a date leading its sentence
        return "".join(f"<p>{d + ' ' if d else ''}{t}</p>" for d, t in items)
    if cut == 1:  # all in one paragraph
        return "<p>" + " ".join(f"{d + ' ' if d else ''}{t}" for d, t in items) + "</p>"
    if cut == 2:  # a table, dates in a cell of their own
        return "<table>" + "".join(f"<tr><td>{d or ''}</td><td>{t}</td></tr>"
                                   for d, t in items) + "</table>"
    if cut == 3:  # cards, the date in an element of its own
        return "".join(f"<div class='c'><span>{d or ''}</span><p>{t}</p></div>" for d, t in items)
    return "<ul>" + "".join(f"<li>{d + ' ' if d else ''}{t}</li>" for d, t in items) + "</ul>"


items = st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(DATES)), sentence),
                 min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(items, st.integers(0, 4), st.integers(0, 4))
def test_re_cutting_the_same_words_never_alerts(content, cut_a, cut_b):
    a = _page("<h2>Record</h2>" + _layout(content, cut_a))
    b = _page("<h2>Record</h2>" + _layout(content, cut_b))
    assert _alerts(a, b) == []


@settings(max_examples=200, deadline=None)
@given(items, st.integers(0, 4), st.data())
def test_one_word_changed_is_exactly_one_alert_holding_it(content, cut, data):
    k = data.draw(st.integers(0, len(content) - 1))
    date, text = content[k]
    words = text.rstrip(".").split(" ")
    at = data.draw(st.integers(0, len(words) - 1))
    words[at] = "Zeppelin" if at == 0 else "zeppelin"
    edited = list(content)
    edited[k] = (date, " ".join(words) + ".")
    alerts = _alerts(_page("<h2>Record</h2>" + _layout(content, cut)),
                     _page("<h2>Record</h2>" + _layout(edited, cut)))
    assert len(alerts) == 1
    assert ["+", words[at]] in alerts[0].diff or words[at] in (alerts[0].new_text or "")


def test_a_paragraph_cut_short_before_new_items_that_share_its_phrases_is_one_edit():
    lead = "Federal agencies prepare the nation for the impacts of climate change."
    old = _page(f"<p>{lead} These activities are coordinated by the research program, which "
                "works to advance the science on climate change and its impacts on society, "
                "now and in the future.</p>")
    new = _page(f"<p>{lead} These activities are guided by:</p><ul><li>The plan, which calls "
                "for the nation to cut pollution and prepare for the impacts of climate change "
                "and its effects.</li><li>An executive order on resilience.</li></ul>")
    for a, b in ((old, new), (new, old)):
        kinds = sorted(c.kind for c in _alerts(a, b))
        assert kinds.count("modified") == 1, kinds
        assert "removed" not in kinds or b is old  # items removed going back, never the ¶
        assert all(not (c.kind == "removed" and c.old_text.startswith(lead))
                   for c in _alerts(a, b))
