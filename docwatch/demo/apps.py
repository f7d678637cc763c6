"""The bundled pages rebuilt the way front-end frameworks ship them: every heading, paragraph,
list, table and landmark a `div` or `span` under atomic class names generated per build.

Two shapes, as such pages come:

- ``roles``: the structure said by ARIA roles (`role="heading" aria-level="2"`, `list`,
  `listitem`, `table`, `row`, `cell`, `main`, `navigation`, `banner`, `contentinfo`);
- ``styled``: no roles at all; a heading is only a short line in bold, larger type (inline
  style), a list or a table only boxes of one shape.

Bold text is a `span` with an inline `font-weight` in both. The words stay the same, so a
reader of structure must read each shape into the sections and passages of the document page.
"""

from __future__ import annotations

import hashlib

SHAPES = ("document", "roles", "styled")
APP_TYPE = "text/html; charset=utf-8"

_ROLES = {
    "header": "banner", "nav": "navigation", "footer": "contentinfo", "main": "main",
    "aside": "complementary", "ul": "list", "ol": "list", "li": "listitem", "table": "table",
    "thead": "rowgroup", "tbody": "rowgroup", "tfoot": "rowgroup", "tr": "row",
    "th": "columnheader", "td": "cell", "dt": "term", "dd": "definition",
}
_BOXES = frozenset("address article aside caption dd div dl dt footer header li main nav ol p "
                   "section table tbody td tfoot th thead tr ul".split())
_HEADINGS = {"h1": "2em", "h2": "1.5em", "h3": "1.25em", "h4": "1.1em", "h5": "1em", "h6": "1em"}
_INLINE = {"strong": "font-weight:700", "b": "font-weight:bold", "em": "font-style:italic",
           "i": "font-style:italic"}


def rebuild(page: bytes, shape: str, build: str) -> bytes:
    """`page` rebuilt in `shape` ("roles" or "styled"; "document" is the page as it is), its
    class names generated from `build`, as a new deploy of the same app makes them anew."""
    from lxml import html as lxml_html  # noqa: PLC0415 - the CLI names the shapes without it

    if shape == "document":
        return page
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
    root = lxml_html.document_fromstring(page)
    for meta in root.xpath("//meta[@charset or @http-equiv]"):
        meta.getparent().remove(meta)  # the page is written anew in UTF-8, said below
    if (head := root.find("head")) is not None:
        head.insert(0, lxml_html.Element("meta", charset="utf-8"))
    parts = {el for el in root.iter("header", "footer") if _sectioned(el)}
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag in _HEADINGS:
            level = tag[1]
            el.tag = "div"
            if shape == "roles":
                el.set("role", "heading")
                el.set("aria-level", level)
            else:
                el.set("style", f"font-size:{_HEADINGS[tag]};font-weight:700")
        elif tag in _BOXES:
            el.tag = "div"
            if shape == "roles" and tag in _ROLES and el not in parts:
                el.set("role", _ROLES[tag])
        elif tag in _INLINE:
            el.tag = "span"
            el.set("style", _INLINE[tag])
        elif "class" not in el.attrib:
            continue
        el.attrib.pop("id", None)
        el.set("class", _atomic(build, tag))
    return lxml_html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")


def _sectioned(el) -> bool:
    """A header or footer inside an article or main part is that part's, no landmark."""
    return any(a.tag in ("article", "main", "section", "aside") for a in el.iterancestors())


def _atomic(build: str, tag: str) -> str:
    """Atomic class names such as a CSS-in-JS build makes: new with every build."""
    digest = hashlib.sha1(f"{build}:{tag}".encode()).hexdigest()
    return " ".join(f"x{digest[i:i + 6]}" for i in (0, 6, 12))
