"""Pathological pages, made on demand: what a broken CMS or a hostile server may serve."""

from __future__ import annotations


def nested(n: int = 100_000) -> bytes:
    """100,000 nested <div>s around one paragraph."""
    return ("<html><body>" + "<div>" * n + "<p>Deep text: 2.5 %</p>" + "</div>" * n
            + "</body></html>").encode()


def one_line(size: int = 9_000_000) -> bytes:
    """A 9 MB paragraph on a single line."""
    text = "Defence spending will reach 2.5 % of GDP in 2030 and the alliance "
    words = (text * (size // len(text) + 1))[:size]
    return f"<html><body><h1>One line</h1><p>{words}</p></body></html>".encode()


def paragraphs(n: int = 200_000) -> bytes:
    """200,000 paragraphs in one section."""
    return ("<html><body><h1>Many</h1>" + "".join(
        f"<p>Paragraph {k} says the share is {k % 7}.5 %.</p>" for k in range(n))
        + "</body></html>").encode()


def table(n: int = 50_000) -> bytes:
    """A 50,000-row data table."""
    return ("<html><body><h1>Table</h1><table>" + "".join(
        f"<tr><td>{k}</td><td>2024-01-{k % 28 + 1:02d}</td><td>Item {k} of the list</td></tr>"
        for k in range(n)) + "</table></body></html>").encode()


def numbered(n: int = 200_000) -> bytes:
    """200,000 short numbered paragraphs: a register, each line holding digits."""
    return ("<html><body><h1>Register</h1>" + "".join(
        f"<p>Entry {k}: filed under number {k * 7}.</p>" for k in range(n))
        + "</body></html>").encode()


def forms(n: int = 50_000) -> bytes:
    """A 50,000-row table of forms: number, title, edition date."""
    return ("<html><body><h1>Forms</h1><table><thead><tr><th>Number</th><th>Title</th>"
            "<th>Edition date</th></tr></thead><tbody>" + "".join(
                f"<tr><td>{100 + k // 10}-{k % 10}</td><td>Request for leave, form {k}</td>"
                f"<td>{1 + k % 12}/{1 + k % 28}/20{10 + k % 15}</td></tr>" for k in range(n))
            + "</tbody></table></body></html>").encode()


PAGES = {"nested": nested, "one_line": one_line, "paragraphs": paragraphs, "table": table,
         "numbered": numbered, "forms": forms}
