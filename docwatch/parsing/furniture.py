"""Furniture told by its shape, not its class names, in any language: what a page carries
around its text on every template, which an app ships under generated names.

- a box of links whose every link names a language in its own words (CLDR's names through
  Babel, `autonyms.txt`), carries `hreflang`, or is a language code its address is made of
  (`/en/`, `?lang=lt`): a language switcher, whose choice and order may change per request;
- a box of links to social networks' own pages: the site's profiles, on every page;
- a trail of links joined by arrows or slashes ("Home › Policy › NATO"): breadcrumbs;
- a link to a place in the page that is not there (`#print`, `#`): a control for a script;
- a box of two or more short buttons and little text (a consent or cookie notice, a
  pager); a form with a password field (a login, however long); a small form of inputs and
  a button (a search or newsletter box).

Pure: the tree in, the elements to drop out.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lxml import etree

from ..text import clean, inner_text
from .links import FILE_RE

MAX_BOX_TEXT = 600  # characters: a notice or a small form, never a part of the page's text
MAX_BUTTON_TEXT = 30  # "Accept all", "Reject", "Settings"; a longer one is a question
_INLINE = frozenset("span b strong em i small li font".split())
_SEPARATORS = ">›»→/\\"
_TRAIL_RE = re.compile(rf"[\s\xa0{re.escape(_SEPARATORS)}]*")
#: Social networks' hosts: the site's profiles link there, and so do share buttons (`root`).
NETWORKS = ("facebook.com", "twitter.com", "x.com", "linkedin.com", "instagram.com",
            "youtube.com", "youtu.be", "flickr.com", "tiktok.com", "threads.net", "vk.com",
            "t.me", "telegram.me", "pinterest.com", "tumblr.com", "mastodon.social", "bsky.app",
            "draugiem.lv", "soundcloud.com", "vimeo.com", "reddit.com", "wa.me", "whatsapp.com")
_NETWORK_HOSTS = frozenset(NETWORKS)
_CODE_IN_URL_RE = r"(?:^|[/?&=._-]){code}(?:$|[/?&=._-])"
_IDS = etree.XPath("descendant-or-self::*/@id | descendant-or-self::*/@name")
_TEXT_INPUTS = frozenset(("", "text", "email", "search", "tel", "number"))


@functools.cache
def autonyms() -> frozenset[str]:
    """Every language's name in itself, casefolded: "lietuvių", "deutsch", "中文"."""
    path = Path(__file__).with_name("autonyms.txt")
    return frozenset(path.read_text(encoding="utf-8").split("\n")) - {""}


def shaped(body) -> list:
    """The elements of `body` that are furniture by their shape (see the module's words)."""
    doomed: list = []
    ids: set[str] | None = None  # the page's ids and anchor names, read at the first need
    boxes: dict = {}  # box -> its links
    for a in body.iter("a"):
        href = (a.get("href") or "").strip()
        if href.startswith("#") and "/" not in href:
            if ids is None:
                ids = set(map(str, _IDS(body)))
            if href[1:] not in ids:
                doomed.append(a)
                continue
        boxes.setdefault(_box(a), []).append(a)
    for box, links in boxes.items():
        if len(links) < 2 or box is body:
            continue
        # The cheap questions first: most boxes of links are neither (the box's words are
        # read only for one whose first link could start a trail, a switcher or profiles).
        named = all(map(_network, links)) or all(map(_language, links))
        if not (named or _separated(links[0], box)):
            continue
        rest = _between(box, links)
        if named and not any(ch.isalnum() for ch in rest) or _trail(rest, len(links)):
            doomed.append(box)
    doomed += _notices(body)
    return doomed


def _box(link):
    """The box a link sits in: past its inline wrappers and list items, to the list."""
    box = link.getparent()
    while box is not None and box.tag in _INLINE and box.getparent() is not None:
        box = box.getparent()
    return box


def _language(link) -> bool:
    """A link to the page in another language; a link to a file (a report's translation,
    "English" beside "Lietuvių") is content."""
    if link.get("hreflang"):
        return True
    if FILE_RE.search(link.get("href") or ""):
        return False
    text = clean(inner_text(link))
    if not text or len(text) > 40:
        return False
    name = re.split(r"\s*[(（\-–]", text, maxsplit=1)[0].strip().casefold()
    if name in autonyms():
        return True
    code = text.casefold()
    return len(code) in (2, 3) and code.isalpha() and code.isascii() and bool(
        re.search(_CODE_IN_URL_RE.format(code=code), (link.get("href") or "").casefold()))


def on_network(href: str) -> bool:
    """Whether an absolute link goes to a social network's host (`NETWORKS`)."""
    if not href.startswith(("http://", "https://", "//")):
        return False
    return _network_host(href.split("/", 3)[2].lower().split(":")[0])


@functools.lru_cache(maxsize=1024)  # a page links a few hosts hundreds of times
def _network_host(host: str) -> bool:
    labels = host.split(".")
    return any(".".join(labels[i:]) in _NETWORK_HOSTS for i in range(len(labels) - 1))


def _network(link) -> bool:
    return on_network(link.get("href") or "")


def _separated(link, box) -> bool:
    """Whether an arrow or a slash follows the link (after its inline wrappers)."""
    el, after = link, link.tail or ""
    while not after.strip() and (parent := el.getparent()) is not None and parent is not box:
        el, after = parent, parent.tail or ""
    return any(ch in after for ch in _SEPARATORS)


def _between(box, links: list) -> str:
    """The box's text with each link's words as one NUL: what stands between the links."""
    rest = inner_text(box)
    for a in links:
        rest = rest.replace(inner_text(a), "\0", 1)
    return rest


def _trail(rest: str, links: int) -> bool:
    """Links joined by arrows or slashes, the last step perhaps plain text: breadcrumbs."""
    pieces = re.split(rf"[{re.escape(_SEPARATORS)}]", rest)
    if len(pieces) < links:
        return False  # not a separator between each two links
    words = [p for p in pieces if p.replace("\0", "").strip(" \t\n\xa0")]
    return len(words) <= 1 and all(_TRAIL_RE.fullmatch(p.replace("\0", "")) for p in pieces[:-1])


def _notices(body) -> list:
    """Boxes of two or more short buttons and little text; forms of inputs and a button."""
    out: list = []
    counts: dict = {}
    for button in body.iter("button"):
        words = clean(inner_text(button))
        if button.get("aria-expanded") is not None or button.get("aria-controls") \
                or len(words) > MAX_BUTTON_TEXT:
            continue  # a disclosure (an accordion's question) or a long one: content's own
        for depth, box in enumerate(button.iterancestors()):
            if depth == 3 or box is body:
                break
            counts[box] = counts.get(box, 0) + 1
    out += [box for box, n in counts.items() if n >= 2 and _little_text(box)]
    for form in body.iter("form"):
        inputs = [(i.get("type") or "").lower() for i in form.iter("input")]
        if "password" in inputs or any(t in _TEXT_INPUTS for t in inputs) and (
                form.find(".//button") is not None or "submit" in inputs) and _little_text(form):
            out.append(form)  # a login (whatever its words), a search, a newsletter box
    return out


def _little_text(box) -> bool:
    return box.find(".//h1") is None and len(clean(inner_text(box))) <= MAX_BOX_TEXT
