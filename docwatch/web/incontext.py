"""A stored version of a page with its changes marked where they happened. Pure: no I/O.

The page is rebuilt from its stored bytes by the parser's own steps (decode, tree, main
content with navigation, scripts, frames and widgets dropped), so it shows the part of the
page docwatch reads, in the page's own words and layout. Each change is then found on it by
its words and marked: the words a revision put in as `<ins>`, those it took out as `<del>`
beside them, a new entry's or row's block outlined, a removed block's old text shown where
it stood in the previous version. Last, a whitelist sanitizer (nh3) keeps only plain
document markup: no script, style, frame, form, event handler or foreign class survives.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree

from ..models import Change, Document, ParseRules
from ..parsing import page_url, tree
from ..parsing.blocks import BLOCK_TAGS
from ..parsing.root import drop, main_content
from ..render import NAMES, figures_line
from ..text import inner_text

#: Markup a reading view needs; everything else is unwrapped to its text.
TAGS = frozenset(
    "a abbr article b blockquote br caption cite code col colgroup dd del details dfn div dl "
    "dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li main mark ol p pre q s "
    "section small span strong sub summary sup table tbody td tfoot th thead time tr u ul "
    "address center".split())
ATTRIBUTES = {
    "*": {"lang", "dir", "title", "id", "tabindex", "autofocus"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "scope", "headers"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
}
#: Attributes of the page's own elements dropped before marking: ours are the only ids and
#: the only focus on the page.
FOREIGN = ("id", "class", "tabindex", "autofocus", "accesskey", "style")
CLASSES = frozenset({"dw-change", "dw-added", "dw-changed", "dw-removed", "dw-moved",
                     "dw-badge", "dw-focus"})
#: Where a removed block goes back, by the kind of passage it was.
_CONTAINERS = {"row": "tr", "item": "li"}


@dataclass
class Marked:
    """The page's content as safe HTML, and which changes were found on it."""

    html: str
    located: set[int] = field(default_factory=set)


def mark(body: bytes | str, changes: Sequence[tuple[int, Change]], *, url: str | None = None,
         content_type: str | None = None, previous: Document | None = None,
         focus: int | None = None, rules: ParseRules = ParseRules()) -> Marked:
    """The page in `body` with `changes` (id, change) marked in place; the change `focus`
    (else the first one found) takes the focus, so a browser scrolls it into view on load."""
    root, _ = tree(body, content_type)
    url = page_url(root, url)
    content = main_content(root, rules, {})
    if content is None:
        content = root
    _own(content, url)
    page = _Page(content)
    located: set[int] = set()
    for change_id, change in changes:
        if page.mark(change_id, change, previous):
            located.add(change_id)
    target = focus if focus in located else next((c for c, _ in changes if c in located), None)
    if target is not None:
        page.focus(target)
    fragment = etree.tostring(content, method="html", encoding="unicode")
    return Marked(sanitize(fragment), located)


#: nh3's options, made once: what `sanitize` keeps.
_CLEAN = {"tags": set(TAGS), "attributes": {k: set(v) for k, v in ATTRIBUTES.items()},
          "clean_content_tags": {"script", "style", "template", "noscript", "textarea", "select",
                                 "button", "iframe", "object"},
          "url_schemes": {"http", "https", "mailto"},
          "allowed_classes": {tag: set(CLASSES) for tag in TAGS},  # nh3 takes no "*" here
          "link_rel": "noopener noreferrer nofollow", "strip_comments": True}


def sanitize(fragment: str) -> str:
    """Plain document markup only: nothing in it can run, load a frame or post a form."""
    return nh3.clean(fragment, **_CLEAN)


def _own(content, url: str | None) -> None:
    """Links and images pointed at the original site; the page's ids, classes and styles gone;
    images from other sites and one-pixel images (trackers) dropped."""
    site = urlsplit(url or "").netloc
    doomed = []
    for el in content.iter():
        if not isinstance(el.tag, str):
            continue
        for name in FOREIGN:
            el.attrib.pop(name, None)
        for name in ("href", "src"):
            value = el.get(name)
            if value is not None:
                el.set(name, urljoin(url or "", value.strip()))
        el.attrib.pop("srcset", None)
        if el.tag == "img" and (urlsplit(el.get("src", "")).netloc != site or _pixel(el)):
            doomed.append(el)
    for el in doomed:
        drop(el)


def _pixel(img) -> bool:
    return any((img.get(side) or "").strip() in ("0", "1", "1px") for side in ("width", "height"))


def _key(text: str) -> str:
    """Letters and digits only, case folded: what a passage and its element share whatever
    the separators ("118-4 | Title" is the row "118-4", "Title")."""
    return "".join(c for c in text.casefold() if c.isalnum())


class _Page:
    """The content's block elements by their words, and the marks made on them."""

    def __init__(self, content):
        self.content = content
        self.blocks = [(el, _key(inner_text(el))) for el in content.iter(*BLOCK_TAGS)]
        self.taken: set = set()
        self.marked: dict[int, object] = {}  # change id -> the element to focus

    def find(self, text: str | None, *, claim: bool = True):
        """The smallest block holding all of `text`'s words (one not taken by an earlier
        change, when there is one), else holding its first line."""
        if not text:
            return None
        for probe in dict.fromkeys((_key(text), _key(text.splitlines()[0]))):
            if not probe:
                continue
            found = [(len(k), el in self.taken, i, el) for i, (el, k) in enumerate(self.blocks)
                     if probe in k]
            if found:
                el = min(found, key=lambda f: (f[1], f[0], f[2]))[3]
                if claim:
                    self.taken.add(el)
                return el
        return None

    def mark(self, change_id: int, change: Change, previous: Document | None) -> bool:
        if change.kind == "removed" or change.new_text is None:
            return self._removed(change_id, change, previous)
        el = self.find(change.new_text)
        if el is None:
            return False
        css = {"added": "dw-added", "moved": "dw-moved"}.get(change.kind, "dw-changed")
        _add_class(el, "dw-change", css)
        badge = self._badge(el, change)
        words = _mark_words(el, change) if change.kind == "modified" else None
        self.marked[change_id] = words if words is not None else badge
        _set_id(self.marked[change_id], change_id)
        return True

    def _removed(self, change_id: int, change: Change, previous: Document | None) -> bool:
        anchor, after, kind = self._place(change, previous)
        if anchor is None:
            anchor = self.content
        wrapper_tag = _CONTAINERS.get(kind, "div")
        if wrapper_tag != "div":
            holder = next((a for a in _self_and_up(anchor) if a.tag == wrapper_tag), None)
            if holder is None:
                wrapper_tag = "div"
            else:
                anchor = holder
        if wrapper_tag == "div":
            anchor = _outside_lists(anchor, self.content)
        box = etree.Element(wrapper_tag)
        _add_class(box, "dw-change", "dw-removed")
        inner = box
        if wrapper_tag == "tr":
            inner = etree.SubElement(box, "td", colspan=str(max(1, len(anchor))))
        gone = etree.SubElement(inner, "del")
        gone.text = change.old_text or ""
        badge = self._badge(box, change)
        if anchor is self.content:
            self.content.insert(0, box)
        elif after:
            anchor.addnext(box)
            box.tail, anchor.tail = anchor.tail, None
        else:
            anchor.addprevious(box)
        self.marked[change_id] = badge
        _set_id(badge, change_id)
        return True

    def _place(self, change: Change, previous: Document | None):
        """Where a removed passage stood, and the kind of passage it was: after the nearest
        passage (or heading) before it in the previous version that is still on the page,
        else before the nearest after it; else under its section's heading."""
        order: list[str] = []
        at, kind = None, "paragraph"
        gone = _key(change.old_text or "")
        for section in previous.sections if previous is not None else ():
            if section.path:
                order.append(section.path[-1])
            for block in section.blocks:
                if at is None and list(section.path) == list(change.section[:len(section.path)]) \
                        and _key(block.text) == gone:
                    at, kind = len(order), block.kind
                order.append(block.full_text)
        if at is None:
            heading = change.section[-1] if change.section else None
            return self.find(heading, claim=False), True, kind
        for text in reversed(order[:at]):
            if (el := self.find(text, claim=False)) is not None:
                return el, True, kind
        for text in order[at + 1:]:
            if (el := self.find(text, claim=False)) is not None:
                return el, False, kind
        return None, True, kind

    def _badge(self, el, change: Change):
        """The change's name (and figures) at the start of its block."""
        badge = etree.Element("span")
        _add_class(badge, "dw-badge")
        figures = figures_line(change)
        badge.text = NAMES.get(change.category, change.category) + (f" · {figures}" if figures else "")
        host = el
        if el.tag == "tr":
            host = next((c for c in el if c.tag in ("td", "th")), el)
        if host.tag in ("table", "thead", "tbody", "tr", "ul", "ol", "dl"):
            host.addprevious(badge)
            return badge
        badge.tail = host.text
        host.text = None
        host.insert(0, badge)
        return badge

    def focus(self, change_id: int) -> None:
        el = self.marked[change_id]
        _add_class(el, "dw-focus")
        el.set("tabindex", "-1")
        el.set("autofocus", "autofocus")  # no script: the browser scrolls it into view


def _mark_words(el, change: Change):
    """The revision's words in place inside `el`: what it put in as <ins>, what it took out
    as <del> where it was. Returns the first mark, or None when the words cannot be lined up
    with the element's text (its cells then carry the badge alone)."""
    inserted: list[tuple[int, int]] = []  # in the new text's letters and digits
    removed: list[tuple[int, str]] = []
    at = 0
    for op, text in change.diff:
        n = len(_key(text))
        if op == "+":
            if n:
                inserted.append((at, at + n))
            at += n
        elif op == "-":
            if text.strip():
                removed.append((at, text.strip()))
        else:
            at += n
    if not inserted and not removed:
        return None
    slots = _slots(el)
    raw = "".join(_slot_text(s) for s in slots)
    where = [i for i, c in enumerate(raw) if c.isalnum()]
    have = "".join(raw[i] for i in where).casefold()
    wanted = _key(change.new_text or "")
    position = _aligner(wanted, have)
    if position is None:
        return None
    edits: list[tuple[int, int, str, str]] = []  # (start, end) in `raw`, tag, text of a <del>
    for a, b in inserted:
        spots = [p for k in range(a, b) if (p := position(k)) is not None]
        if spots:
            edits.append((where[spots[0]], where[spots[-1]] + 1, "ins", ""))
    for a, text in removed:
        p = position(a) if a < len(wanted) else None
        point = where[p] if p is not None else (where[position(a - 1)] + 1
                                                if a and position(a - 1) is not None else None)
        if point is not None:
            edits.append((point, point, "del", text))
    first = None
    # From the end backwards: each edit leaves the text before it where it was. At one
    # point a <del> goes before the <ins> that replaced it.
    for start, end, tag, text in sorted(edits, key=lambda e: (e[0], e[2] == "ins"), reverse=True):
        first = _wrap(el, start, end, tag, text)
    return first


def _aligner(wanted: str, have: str):
    """A map from positions in `wanted` to positions in `have` (None where a character has no
    counterpart); None when too little of `wanted` is there."""
    offset = have.find(wanted)
    if offset >= 0:
        return lambda k: offset + k
    matcher = difflib.SequenceMatcher(None, wanted, have, autojunk=False)
    pairs = {}
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            pairs[a + k] = b + k
    if len(pairs) < 0.8 * len(wanted):
        return None
    return pairs.get


def _slots(el) -> list[tuple[object, str]]:
    """The text slots inside `el`, in reading order: (element, "text" | "tail")."""
    out = []

    def visit(node) -> None:
        out.append((node, "text"))
        for child in node:
            visit(child)
            out.append((child, "tail"))

    visit(el)
    return out


def _slot_text(slot) -> str:
    node, attr = slot
    return (node.text if attr == "text" else node.tail) or ""


def _wrap(el, start: int, end: int, tag: str, deleted: str):
    """Put raw[start:end] of `el`'s text in a new <tag> (a <del> holds `deleted` instead and
    goes at `start`). An insertion over several text slots is wrapped slot by slot."""
    pieces, offset = [], 0
    for slot in _slots(el):
        text = _slot_text(slot)
        lo, hi = offset, offset + len(text)
        if tag == "del":
            if lo <= start <= hi:
                pieces = [(slot, start - lo, start - lo)]
                break
        elif lo < end and start < hi:
            pieces.append((slot, max(start, lo) - lo, min(end, hi) - lo))
        offset = hi
    first = None
    for (node, attr), a, b in reversed(pieces):
        text = _slot_text((node, attr))
        mark = etree.Element(tag)
        mark.text = deleted if tag == "del" else text[a:b]
        mark.tail = text[b:]
        if attr == "text":
            node.text = text[:a]
            node.insert(0, mark)
        else:
            node.tail = text[:a]
            node.addnext(mark)
        first = mark
    return first


def _self_and_up(el):
    yield el
    yield from el.iterancestors()


def _outside_lists(el, content):
    """A block of its own goes beside the table or list `el` is in, not inside a row."""
    for a in _self_and_up(el):
        if a is content:
            return el
        if a.tag in ("table", "ul", "ol", "dl", "p"):
            el = a
    return el


def _add_class(el, *names: str) -> None:
    have = (el.get("class") or "").split()
    el.set("class", " ".join(dict.fromkeys([*have, *names])))


def _set_id(el, change_id: int) -> None:
    if el.get("id") is None:
        el.set("id", f"change-{change_id}")
