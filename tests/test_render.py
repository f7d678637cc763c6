"""Rendering is pure: the same changes in text, Markdown and HTML, page text escaped."""

from __future__ import annotations

from docwatch import render
from docwatch.diffing import classify
from docwatch.models import Change

OLD = "All political parties commit to spend 2.5 % of GDP on defence."
NEW = "All political parties commit to spend 3 % of GDP on defence."


def figure_change(text_old: str = OLD, text_new: str = NEW) -> Change:
    category, ops, figs, significance = classify(text_old, text_new)
    return Change(["Lithuania and NATO", "Legal framework"], "modified", category, text_old,
                  text_new, ops, figs, significance, True, "urm-nato", "¶4")


def page(*changes: Change) -> list[render.Page]:
    return [render.Page("urm-nato", "Lithuania and NATO", "https://www.urm.lt/995", list(changes))]


def test_each_format_says_what_changed_where_with_the_figures_and_the_word_diff():
    change = figure_change()
    title, text = render.text(page(change))
    assert title == "urm-nato · Lithuania and NATO — 1 change"
    assert "~ FIGURE        Legal framework › ¶4   2.5 % → 3 %" in text
    assert "[-2.5-]{+3+}" in text and text.endswith("https://www.urm.lt/995")

    _, md = render.markdown(page(change))
    assert md.startswith("**Figure revised** · Legal framework › ¶4 · 2\\.5 % → 3 %")
    assert "~~2\\.5~~**3**" in md and "(<https://www.urm.lt/995>)" in md

    _, html = render.html_body(page(change))
    assert "<strong" in html and "Figure revised" in html
    assert ">2.5<" in html.split("<del", 1)[1] and ">3<" in html.split("<ins", 1)[1]


def test_page_text_is_escaped_in_markdown_and_html():
    change = figure_change("See <b>*this*</b> [link](x) and 2.5 %.", "See <b>*this*</b> [link](x) and 3 %.")
    _, html = render.html_body(page(change))
    assert "&lt;b&gt;" in html and "<b>" not in html
    _, md = render.markdown(page(change))
    assert "\\<b\\>\\*this\\*" in md and "\\[link\\]\\(x\\)" in md


def test_a_digest_groups_by_page():
    other = render.Page("kam-non-nato", "Cooperation", "http://kam.lt/x", [figure_change()])
    title, text = render.text(page(figure_change()) + [other])
    assert title == "docwatch — 2 changes on 2 pages"
    assert text.index("urm-nato · Lithuania and NATO") < text.index("kam-non-nato · Cooperation")
