"""Properties: a page never differs from itself; any bytes parse or fail with ParseError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docwatch.diffing import diff
from docwatch.errors import ParseError
from docwatch.parsing import parse

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                min_size=1, max_size=40)
date = st.sampled_from(["17 November 1990", "3-4 April 2019", "27-30 June 2022", "1 May 2004"])
block = st.one_of(
    words.map(lambda t: f"<p>{t}</p>"),
    st.tuples(date, words).map(lambda p: f"<p><strong>{p[0]}</strong></p><p>{p[1]}</p>"),
    st.lists(words, min_size=1, max_size=4).map(
        lambda items: "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"),
    st.tuples(st.sampled_from(["h2", "h3"]), words).map(lambda h: f"<{h[0]}>{h[1]}</{h[0]}>"),
    st.tuples(date, words).map(lambda r: f"<table><tr><td>{r[0]}</td><td>{r[1]}</td></tr></table>"),
)
page = st.lists(block, max_size=12).map(
    lambda blocks: "<html><body><nav><a href='/'>Home</a></nav><main><h1>Title</h1>"
    + "".join(blocks) + "</main></body></html>")


@settings(max_examples=150, deadline=None)
@given(page)
def test_a_page_never_differs_from_itself(html):
    assert diff(parse(html.encode()), parse(html.encode())) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_raise_parse_error(body):
    try:
        parse(body)
    except ParseError:
        pass
