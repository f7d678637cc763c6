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


def mojibake(size: int = 99_000, version: int = 1) -> bytes:
    """A 99 KB government page in UTF-8 whose CMS pasted a few passages double-encoded
    ("donâ€™t", "cafÃ©"): navigation, news paragraphs with curly quotes, a table, a footer."""
    nav = "".join(f'<li><a href="/topics/{k}">Topic {k} â€” overview</a></li>'.replace("â€”", "—")
                  for k in range(60))
    head = (f"<html lang='en'><head><meta charset='utf-8'><title>Office of Programs</title>"
            f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><h1>Programs</h1>")
    parts, k = [head], 0
    while sum(map(len, parts)) < size - 2_000:
        if k % 12 == 0:
            parts.append(f"<h2>Program area {k // 12}</h2>")
        quote = "â€™" if k % 40 == 7 else "’"  # a few pasted twice-encoded passages
        parts.append(f"<p>The agency{quote}s grant round {k} opened on March {k % 28 + 1}, 2024: "
                     f"“eligible applicants” may request up to ${(k % 9 + 1) * 25},000 for "
                     f"projects in {k % 50 + 1} states; see section {k}.{k % 7} for rules.</p>")
        if k % 25 == 0:
            parts.append("<table><tr><th>Form</th><th>Title</th><th>Date</th></tr>" + "".join(
                f"<tr><td>SF-{k}{j}</td><td>Application cafÃ© part {j}</td><td>1/{j + 1}/2024"
                f"</td></tr>" for j in range(5)) + "</table>")
        k += 1
    if version > 1:
        parts[len(parts) // 2] = parts[len(parts) // 2].replace("opened", "closed")
    parts.append("</main><footer><p>An official website of the United States government</p>"
                 "</footer></body></html>")
    return "".join(parts).encode()


PAGES = {"nested": nested, "one_line": one_line, "paragraphs": paragraphs, "table": table,
         "numbered": numbered, "forms": forms}
