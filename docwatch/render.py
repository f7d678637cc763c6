"""Changes rendered for people: plain text, Markdown and HTML. Pure functions.

One message reports one or more pages, each grouped by section, each change with a label, where
it is, the figures that moved and a quote of the passage with its word diff. Page text is
always escaped for the format it goes into.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest

from .models import Change

#: Terminal and plain-text labels.
LABELS = {
    "new_entry": "+ NEW ENTRY",
    "removed_entry": "- REMOVED ENTRY",
    "revised_figure": "~ FIGURE",
    "text_edit": "~ EDITED",
    "content_added": "+ ADDED",
    "content_removed": "- REMOVED",
    "section_renamed": "~ RENAMED",
    "moved": "> MOVED",
    "minor_edit": "· MINOR",
    "restored": "· RESTORED",
    "page_replaced": "~ PAGE REPLACED",
}
#: Words for Markdown and HTML ("New entry · NATO activities › 11-12 July 2023").
NAMES = {
    "new_entry": "New entry",
    "removed_entry": "Entry removed",
    "revised_figure": "Figure revised",
    "text_edit": "Text edited",
    "content_added": "Added",
    "content_removed": "Removed",
    "section_renamed": "Section renamed",
    "moved": "Moved",
    "minor_edit": "Minor edit",
    "restored": "Restored",
    "page_replaced": "Page replaced",
}
#: Status events as people read them, in messages, the feed and `changes --status`.
STATUS = {
    "failing": "⚠ source failing",
    "recovered": "✓ source recovered",
    "removed": "✗ page removed",
    "content_unreadable": "⚠ content not readable",
    "content_back": "✓ content back",
}


def status_words(event: str) -> str:
    """A status event's words without its sign: "content back"."""
    return STATUS[event].split(" ", 1)[1]


COLOURS = {"+": "#1a7f37", "-": "#cf222e", "~": "#9a6700", ">": "#0969da", "·": "#6e7781"}
WIDTH = 16
QUOTE = 220  # characters of a passage quoted
CONTEXT = 90  # characters kept either side of an edit in a long passage
_WS = re.compile(r"\s+")
SEE = "See it on the page"


@dataclass
class Page:
    """The changes of one page in one message."""

    source: str | None
    title: str
    url: str | None
    changes: list[Change] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # each change in context, if served

    def link(self, i: int) -> str | None:
        return self.links[i] if i < len(self.links) else None

    def where(self, change: Change) -> str:
        """Section path below the page's own title, with the passage's locator."""
        path = change.section
        if len(path) > 1 and path[0] == self.title:
            path = path[1:]
        if not path and change.locator:  # "the whole page"
            return change.locator
        where = " › ".join(path) or "(top of page)"
        return f"{where} › {change.locator}" if change.locator else where


def title(pages: list[Page]) -> str:
    """"urm-nato · Lithuania's membership in NATO — 3 changes", or a digest's count."""
    n = sum(len(p.changes) for p in pages)
    count = f"{n} change{'s' if n != 1 else ''}"
    if len(pages) == 1:
        p = pages[0]
        name = f"{p.source} · " if p.source else ""
        return f"{name}{p.title or p.source or 'page'} — {count}"
    return f"docwatch — {count} on {len(pages)} pages"


def figures_line(change: Change, arrow: str = " → ") -> str:
    return "  ".join(f"{f['old'] or '∅'}{arrow}{f['new'] or '∅'}" for f in change.figures)


# --- the quoted passage -----------------------------------------------------------------


def excerpt(change: Change) -> list[tuple[str, str]]:
    """The passage to quote as (op, text) pieces: the word diff, long unchanged runs cut."""
    if change.category == "section_renamed":
        return [("-", change.old_text or ""), ("=", " → "), ("+", change.new_text or "")]
    if change.category == "page_replaced" and len(change.diff) == 2:
        before, after = change.diff[0][1], change.diff[1][1]  # "21,267 characters"
        return [("=", f"{before.split()[0]} → {after}: "),
                ("=", clip(" ".join((change.new_text or "").split()), QUOTE))]
    if change.kind != "modified" or not change.diff:
        text = change.new_text if change.new_text is not None else change.old_text or ""
        return [("=", clip(" ".join(text.split()), QUOTE))]
    ops = [(op, _WS.sub(" ", t)) for op, t in change.diff]
    out = []
    for k, (op, text) in enumerate(ops):
        if op == "=" and len(text) > 2 * CONTEXT:
            head = k > 0  # keep the words after the previous edit
            tail = k < len(ops) - 1  # and before the next one
            text = (clip(text, CONTEXT) if head else "") + (" … " if head and tail else "") + (
                "…" + _tail(text, CONTEXT) if tail else "")
        out.append((op, text))
    return out


def clip(text: str, n: int) -> str:
    if len(text) <= n:
        return text
    cut = text.rfind(" ", 0, n)
    return text[:cut if cut > n // 2 else n] + "…"


def _tail(text: str, n: int) -> str:
    cut = text.find(" ", len(text) - n)
    return text[cut + 1:] if 0 <= cut < len(text) - 1 else text[-n:]


def quote(change: Change) -> str:
    """The passage in plain text, the word diff marked [-old-]{+new+}."""
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    return '"' + "".join(marks[op].format(t) for op, t in excerpt(change) if t) + '"'


# --- plain text -------------------------------------------------------------------------


def text(pages: list[Page]) -> tuple[str, str]:
    """(title, body) in plain text."""
    lines: list[str] = []
    for page in pages:
        if len(pages) > 1:
            lines += [f"{page.source} · {page.title}", ""]
        for i, change in enumerate(page.changes):
            label = LABELS.get(change.category, change.category).ljust(WIDTH)
            figs = figures_line(change)
            lines.append(f"{label}{page.where(change)}" + (f"   {figs}" if figs else ""))
            lines.append(" " * WIDTH + quote(change))
            if link := page.link(i):
                lines.append(" " * WIDTH + f"{SEE}: {link}")
        if page.url:
            lines += ["", page.url]
        if len(pages) > 1:
            lines.append("")
    return title(pages), "\n".join(lines).rstrip()


# --- Markdown ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown(pages: list[Page]) -> tuple[str, str]:
    """(title, body) in Markdown: labels in bold, deletions struck through, insertions bold."""
    marks = {"=": "{}", "-": "~~{}~~", "+": "**{}**"}
    lines: list[str] = []
    for page in pages:
        if len(pages) > 1:
            lines.append(f"### {md_escape(page.source or '')} · {md_escape(page.title)}")
        for i, change in enumerate(page.changes):
            head = f"**{NAMES.get(change.category, change.category)}** · {md_escape(page.where(change))}"
            if figs := figures_line(change):
                head += f" · {md_escape(figs)}"
            body = "".join(marks[op].format(md_escape(t)) if t.strip() else md_escape(t)
                           for op, t in excerpt(change) if t)
            lines += [head, f"> {body}"]
            if link := page.link(i):
                lines.append(f"[{SEE}](<{link}>)")
            lines.append("")
        if page.url:
            lines += [f"[{md_escape(page.url)}](<{page.url}>)", ""]
    return title(pages), "\n".join(lines).rstrip()


# --- HTML -------------------------------------------------------------------------------

_DEL = ('<del style="background:#ffebe9;color:#82071e;text-decoration:line-through">'
        '<span style="display:none">[-</span>{}<span style="display:none">-]</span></del>')
_INS = ('<ins style="background:#dafbe1;color:#116329;text-decoration:none">'
        '<span style="display:none">{{+</span>{}<span style="display:none">+}}</span></ins>')


def html_excerpt(change: Change) -> str:
    """The quoted passage as HTML: text escaped, the word diff in <del>/<ins>."""
    marks = {"=": "{}", "-": _DEL, "+": _INS}
    return "".join(marks[op].format(html.escape(t)) for op, t in excerpt(change) if t)


def html_body(pages: list[Page]) -> tuple[str, str]:
    """(title, body) as inline-styled HTML for e-mail; the word diff in <del>/<ins>.

    The hidden [- -] and {+ +} markers are for the plain-text part mail clients get from it.
    """
    e = html.escape
    out = ['<div style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;'
           'font-size:14px;line-height:1.45;color:#1f2328">']
    for page in pages:
        out.append(f'<h2 style="font-size:17px;margin:0 0 4px">{e(page.source or "")} · '
                   f'{e(page.title)}</h2>')
        if page.url:
            out.append(f'<p style="margin:0 0 12px"><a href="{e(page.url)}">{e(page.url)}</a></p>')
        for i, change in enumerate(page.changes):
            label = LABELS.get(change.category, "~")[:1]
            figs = figures_line(change)
            out.append(
                f'<p style="margin:12px 0 2px"><strong style="color:{COLOURS.get(label, "#1f2328")}">'
                f'{e(NAMES.get(change.category, change.category))}</strong> · '
                f'{e(page.where(change))}'
                + (f' · <code style="background:#f6f8fa">{e(figs)}</code>' if figs else "")
                + "</p>")
            out.append('<blockquote style="margin:0 0 0 4px;padding:2px 10px;'
                       f'border-left:3px solid #d0d7de;color:#424a53">{html_excerpt(change)}'
                       '</blockquote>')
            if link := page.link(i):
                # The hidden address is for the plain-text part mail clients get from it.
                out.append(f'<p style="margin:2px 0 0 4px;font-size:13px"><a href="{e(link)}">'
                           f'{e(SEE)}</a><span style="display:none">: {e(link)}</span></p>')
    out.append("</div>")
    return title(pages), "\n".join(out)


def status_html(body: str) -> str:
    """A status message (source failing, recovered, page removed) as HTML: escaped lines."""
    return "<div style=\"font-family:Helvetica,Arial,sans-serif\">" + "".join(
        f"<p style=\"margin:0 0 6px\">{html.escape(line)}</p>" for line in body.splitlines()
        if line.strip()) + "</div>"


def render(pages: list[Page], fmt: str) -> tuple[str, str]:
    """(title, body) in `fmt`: "text", "markdown" or "html"."""
    return {"text": text, "markdown": markdown, "html": html_body}[fmt](pages)


def group(items: Iterable[tuple[str | None, str, str | None, Change]],
          links: Iterable[str | None] = ()) -> list[Page]:
    """(source, page title, url, change) in order, and each change's link in context if
    any -> pages in order of first appearance."""
    pages: dict[tuple[str | None, str | None], Page] = {}
    for (source, page_title, url, change), link in zip_longest(items, links):
        page = pages.setdefault((source, url), Page(source, page_title, url))
        page.changes.append(change)
        page.links.append(link)
    return list(pages.values())
