"""The main content of a page: what is never content is dropped (scripts, navigation,
header, footer, sidebars, widgets, counters, badges, hidden elements, a source's `exclude`
selectors), then the content is the source's `content` selector, else `<main>`/`role=main`,
else the densest container of non-link text (widened to take in the page's `<h1>`)."""

from __future__ import annotations

import functools
import re

from lxml import etree

from ..locales import all_volatile_words
from ..models import ParseRules
from ..text import clean, inner_text
from . import badges, counters, furniture, shapes

NOISE_TAGS = frozenset(
    "script style noscript template svg iframe object embed canvas nav aside footer input "
    "select textarea button option map audio video dialog menu head link meta marquee".split()
)
NOISE_ROLES = frozenset(
    "navigation banner contentinfo complementary search dialog alertdialog menu menubar "
    "toolbar tablist".split()
)
# Class/id words of page furniture. Applied only to elements that hold little of the
# page's text and no <h1>, so a wrapper such as "content-sidebar-wrapper" survives.
NOISE_NAME_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|crumbs?|path|you-?are-?here|footer|sidebar|share|sharing|"
    r"social|addthis|sharethis|calendar|counter|visitors?|cookies?|skip|search|login|pager|"
    r"pagination|print|toolbar|lang|language|related|newsletter|subscribe|modal|popup|advert|"
    r"ads|carousel|slider|flexslider|slides|sitemap|accessibility|widget-calendar|countdown|"
    r"ticker|marquee|weather-widget|feedback|rating|poll)(?=$|[\s_-])",
    re.IGNORECASE,
)
# Hidden, or laid over the page (`position: fixed`: a notice, a bar, a chat box).
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|position\s*:\s*fixed",
                             re.IGNORECASE)
# Classes of text for screen readers only, never shown: "(opens in a new window)", "(PDF)"
# beside a link, which a redesign adds to every link at once (Bootstrap, WordPress, Drupal,
# Foundation, GOV.UK's names).
SCREEN_READER_RE = re.compile(
    r"(?:^|\s)(?:sr-only|visually-?hidden|screen-reader-text|element-invisible|show-for-sr|"
    r"offscreen|hidden-accessible|u-hidden-visually|govuk-visually-hidden|a11y-hidden|"
    r"assistive-text|sr-text)(?=\s|$)", re.IGNORECASE)


def main_content(root, rules: ParseRules, metadata: dict[str, str], *,
                 pictograms: bool = True, shown: bool = False):
    """The element holding the page's main content, its furniture dropped. `shown`: keep
    what an app hides until its script runs or shows over the page (`hidden`, `aria-hidden`,
    dialogs), for a page whose structure leaves almost all of its text out."""
    body = root.find("body")
    if body is None:
        body = root
    for selector in rules.exclude:
        for el in _select(root, selector):
            drop(el)
    # The source's selector is matched against the page as served, before boxes are renamed.
    chosen = _select(root, rules.content) if rules.content else []
    marked = shapes.marked(body)
    shapes.lift(body, marked)
    _drop_noise(body, marked, pictograms, shown)
    weights = _weights(body)
    total = weights.get(body, (0, 0))[0] or 1
    _drop_furniture(body, weights, total)
    total = weights.get(body, (0, 0))[0] or 1
    if rules.content:
        found = [el for el in chosen if _attached(el, body)]
        if found:
            if len(found) == 1:
                return found[0]
            wrapper = etree.Element("div")
            wrapper.extend(found)  # moves them out of the tree: fine, the tree is ours
            return wrapper
        metadata["content_selector"] = f"{rules.content!r} matched nothing; detected instead"
    for el in body.iter("main", "article", "*"):
        if el.tag == "main" or el.get("role") == "main":
            if weights.get(el, (0, 0))[0] >= 0.3 * total:
                return _widen_to_links(_widen_to_h1(el, weights), body, weights, metadata)
    node = _widen_to_h1(_densest(body, weights, total), weights)
    return _widen_to_links(node, body, weights, metadata)


MIN_PROSE = 200  # characters of non-link text below which a root is a heading and links


def _widen_to_links(node, body, weights: dict, metadata: dict[str, str]):
    """A root with almost no text of its own that leaves most of the page's visible text
    (links included) outside is too narrow: a documents index is a heading and a list of
    links, and all of it is content. Widened to the container holding most of it."""
    text, linked = weights.get(node, (0, 0))
    page = sum(weights.get(body, (0, 0)))
    if node is body or text >= MIN_PROSE or text + linked >= 0.5 * page:
        return node
    for ancestor in node.iterancestors():
        if sum(weights.get(ancestor, (0, 0))) >= 0.5 * page or ancestor is body:
            metadata["content_rule"] = ("little text but links: the links beside it kept "
                                        "as content")
            return ancestor
    return node


# Where script-drawn front ends mount themselves: React, Vue, Angular, Next, Nuxt, Svelte.
_APP_ROOT_XPATH = etree.XPath(
    "//*[@id='root' or @id='app' or @id='__next' or @id='__nuxt' or @id='svelte' "
    "or @ng-app or @ng-version or @data-reactroot or @data-v-app or local-name()='app-root']")


def app_root(root) -> bool:
    """Whether the page has an element a script-drawn front end mounts into."""
    return bool(_APP_ROOT_XPATH(root))


#: Containers that are content themselves: a chronology table that grows to most of the
#: page's text is still one part of the page, not the page.
_NEVER_ROOT = frozenset("ul ol li dl dt dd pre blockquote p h1 h2 h3 h4 h5 h6".split())
_TABLE_PARTS = frozenset("table thead tbody tfoot tr td th".split())
_LAYOUT_BLOCKS = ("p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4")


def _densest(body, weights: dict, total: int):
    """The container holding most of the page's non-link text, without leaving headings out.

    Descending by weight alone flips when one table or list outgrows the rest of the page;
    a container that leaves a section heading (h1–h3) outside is already too deep.
    """
    node, headings = body, _headings(body)
    while True:
        heavier = [c for c in node if weights.get(c, (0, 0))[0] >= 0.55 * total]
        if not heavier or heavier[0].tag in _NEVER_ROOT or _data_table(heavier[0]):
            return node
        child = heavier[0]
        if (inside := _headings(child)) < headings:
            return node
        node, headings = child, inside


def _data_table(el) -> bool:
    """A table (or part of one) of data; a table whose cells hold blocks lays out the page."""
    if el.tag not in _TABLE_PARTS:
        return False
    return next((d for d in el.iter(*_LAYOUT_BLOCKS) if d is not el), None) is None


def _headings(el) -> int:
    return sum(1 for _ in el.iter("h1", "h2", "h3"))


def xpath_of(selector: str) -> str | None:
    """The XPath expression a selector is (`xpath://div[@id='main']`, `//div`), else None."""
    if selector.startswith("xpath:"):
        return selector[len("xpath:"):]
    return selector if selector.startswith(("/", "(")) else None


def _select(root, selector: str) -> list:
    """Elements a CSS selector (or an XPath expression, `xpath:…`) picks."""
    if (path := xpath_of(selector)) is not None:
        found = etree.XPath(path)(root)
        return [el for el in found if isinstance(el, etree._Element)] if isinstance(found, list) \
            else []
    from lxml.cssselect import CSSSelector  # noqa: PLC0415 - cssselect is only needed here

    return CSSSelector(selector, translator="html")(root)


def drop(el, gap: str = " ") -> None:
    """Remove an element but keep its tail text, which belongs to the parent (after `gap`:
    the words either side of a dropped block were apart, those of a dropped mark were not)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + gap + el.tail
        else:
            parent.text = (parent.text or "") + gap + el.tail
    parent.remove(el)


_DIALOG_ROLES = frozenset(("dialog", "alertdialog"))


def _drop_noise(body, marked: list, pictograms: bool, shown: bool = False) -> None:
    """Drop what is never content: noise tags and roles, hidden elements, footnote marks,
    counters (`pictograms`: the page may show a counting pictogram, `counters.pictured`),
    badges, and links that share or print the page or only say there is more; all but
    hidden elements and dialogs when reading what is `shown`. `marked`: the elements with a
    role, a style or a mark of being hidden (`shapes.marked`)."""
    # Tags are matched by libxml2 (`iter(*tags)`); attributes need a look at each element.
    doomed = [el for el in body.iter(*NOISE_TAGS, "header", etree.Comment,
                                     etree.ProcessingInstruction)
              if not (el.tag == "header" and _inside(el, ("main", "article"))
                      or shown and el.tag == "dialog")]
    for mark in [el for el in body.iter("sup") if _footnote_mark(el)]:
        drop(mark, gap="")
    counters.drop_drawn(body, drop, pictograms=pictograms)  # an icon may be an <svg>
    badges.drop_badges(body, drop)
    for el in marked:
        attrib = el.attrib
        if (
            (role := attrib.get("role", "").lower()) in NOISE_ROLES
            and not (shown and role in _DIALOG_ROLES)
            or not shown and (
                attrib.get("aria-modal", "").lower() == "true"  # a dialog, whatever its tag
                or "hidden" in attrib
                or attrib.get("aria-hidden", "").lower() == "true")
            or "style" in attrib and _hidden_style(attrib["style"])
        ):
            doomed.append(el)
    # An app puts generated class names on every element, repeated: each distinct name is
    # asked once, and only the elements of a screen-reader class are looked for.
    for cls in {c for c in _CLASSES(body) if _screen_reader(c)}:
        doomed += _OF_CLASS(body, c=cls)
    doomed += furniture.shaped(body)
    for el in doomed:
        drop(el)
    for link in [a for a in body.iter("a") if _sharing(a) or _read_more(a)]:
        drop(link)  # of what is left: the navigation's links are gone


_CLASSES = etree.XPath(".//@class")
_OF_CLASS = etree.XPath("descendant-or-self::*[@class = $c]")


# An app repeats its generated class names and inline styles on thousands of elements.
@functools.lru_cache(maxsize=4096)
def _hidden_style(style: str) -> bool:
    return bool(HIDDEN_STYLE_RE.search(style))


@functools.lru_cache(maxsize=4096)
def _screen_reader(cls: str) -> bool:
    return bool(SCREEN_READER_RE.search(cls))


# Where a link that shares the page goes ("Share on Facebook", "Dalintis", "Teilen": the
# words vary with the site, the endpoints do not), or a link that prints it.
_SHARE_HREF_RE = re.compile(
    r"^\s*(?:javascript:\s*(?:window\.)?print|mailto:\?)|facebook\.com/shar|"
    r"twitter\.com/(?:intent|share)|(?:^|[/.])x\.com/intent|linkedin\.com/(?:share|sharing)|"
    r"reddit\.com/submit|wa\.me/|api\.whatsapp\.com/send|(?:t|telegram)\.me/share|"
    r"pinterest\.[a-z.]+/pin/create|vk\.com/share|tumblr\.com/(?:share|widgets/share)|"
    r"draugiem\.lv/say", re.IGNORECASE)


def _sharing(link) -> bool:
    # The expression costs 10 µs a link: asked only of a link to a network's host, or of a
    # script or mail link.
    href = link.get("href") or ""
    shares = furniture.on_network(href) or href.startswith(("javascript:", "mailto:?"))
    return shares and bool(_SHARE_HREF_RE.search(href)) or "print(" in (link.get("onclick") or "")


# A link whose words only say there is more: the item's title links to the same place.
READ_MORE = frozenset(all_volatile_words("more"))
_MAX_READ_MORE = max(map(len, READ_MORE)) + 4  # room for "»", "…", "→"


def _read_more(link) -> bool:
    words, inside = link.text or "", len(link)
    if len(words) > _MAX_READ_MORE or inside > 1:
        return False  # most links: their first words are too many already, or a whole card
    if inside:  # "Read more <span>»</span>", "<span>Plačiau</span>"
        words += (link[0].text or "") + (link[0].tail or "")
    return words.strip(" \t\n\xa0»›→>….:").casefold() in READ_MORE


_FOOTNOTE_MARK_RE = re.compile(r"\[?(?:\d{1,3}|[*†‡§¶#a-z])\]?\)?")
_UNIT_BEFORE_RE = re.compile(r"(?<![^\W\d_])[^\W\d_]{1,2}$")  # "m²", "km³": a power, no mark


def _footnote_mark(sup) -> bool:
    """A footnote mark ("2023¹", "members*", "[3]"): a reference beside the words, not words;
    a layout shows it in one place and not in the next."""
    text = inner_text(sup).strip()
    if not _FOOTNOTE_MARK_RE.fullmatch(text):
        return False
    prev = sup.getprevious()
    before = (prev.tail if prev is not None else sup.getparent().text) or ""
    return not _UNIT_BEFORE_RE.search(before)


def _attached(el, body) -> bool:
    """Whether `el` is still in the page under `body` (not dropped as noise since)."""
    return el is body or any(a is body for a in el.iterancestors())


def _inside(el, tags: tuple[str, ...]) -> bool:
    return any(a.tag in tags or a.get("role") == "main" for a in el.iterancestors())


def _weights(body) -> dict:
    """Per element: (non-link text length, link text length), in one post-order pass."""
    weights: dict = {}
    _weigh(body, False, weights)
    return weights


def _weigh(el, in_link: bool, weights: dict) -> tuple[int, int]:
    # A module function, not a closure calling itself: that is a reference cycle, which kept
    # every page's whole tree (libxml2's memory, out of the GC's sight) alive until the
    # collector's rare full pass — 35 KB a page, 40 MB a worker by the end of a first cycle.
    link = in_link or el.tag == "a"
    own = len((el.text or "").strip())
    text, linked = (0, own) if link else (own, 0)
    for child in el:
        t, k = _weigh(child, link, weights)
        text += t
        linked += k
        tail = len((child.tail or "").strip())
        if in_link:
            linked += tail
        else:
            text += tail
    weights[el] = (text, linked)
    return text, linked


def _drop_furniture(body, weights: dict, total: int) -> None:
    doomed = []
    for el in body.iter():
        if not el.attrib or not (kind := _named(el.get("class"), el.get("id"))):
            continue
        if kind == "count":  # a bare count named for what it counts: "post-views", "hits"
            if not counters.counter(el):
                continue
        elif (weights.get(el, (0, 0))[0] > 0.3 * total or el.find(".//h1") is not None
              or el.tag in ("body", "html")):
            continue
        if any(a in doomed for a in el.iterancestors()):
            continue
        doomed.append(el)
    doomed += [el for el in _popular_boxes(body, weights)
               if not any(a in doomed for a in el.iterancestors())]
    for el in doomed:
        # Keep the weights true without another pass: the element's text leaves its ancestors.
        text, linked = weights[el]
        for a in el.iterancestors():
            if a not in weights:
                break  # above <body>
            t, k = weights[a]
            weights[a] = (t - text, k - linked)
        drop(el)


#: Headings of a box of the most read (popular, trending) items, in each language listed.
POPULAR_HEADINGS = frozenset(all_volatile_words("popular"))
MAX_POPULAR_HEADING = 2 * max(map(len, POPULAR_HEADINGS))  # room for spaces and marks
_SUBHEADINGS = ("h2", "h3", "h4", "h5", "h6")


def _popular_boxes(body, weights: dict) -> list:
    """Boxes of the most read items: a heading saying so ("Most read", "Skaitomiausi",
    "Meistgelesen") and the links under it, which change with the readers, not the page.
    The box is the heading's container when the heading opens it and links fill it, else the
    heading and the lists of links after it; never half the page's words or more."""
    boxes, page = [], sum(weights.get(body, (0, 0)))
    for heading in body.iter(*_SUBHEADINGS):
        words = heading.text if not len(heading) else inner_text(heading)
        if not words or len(words) > MAX_POPULAR_HEADING \
                or clean(words).casefold().strip(" :.") not in POPULAR_HEADINGS:
            continue
        box, own = heading.getparent(), weights.get(heading, (0, 0))[0]
        text, linked = weights.get(box, (0, 0))
        if (box is not body and box.tag != "main" and box[0] is heading
                and linked >= text - own and text + linked < 0.5 * page):
            boxes.append(box)
            continue
        lists = []
        for sibling in heading.itersiblings():
            text, linked = weights.get(sibling, (0, 0))
            if sibling.tag in _SUBHEADINGS or not linked or text > linked:
                break
            lists.append(sibling)
        if lists and sum(sum(weights.get(el, (0, 0))) for el in lists) < 0.5 * page:
            boxes += [heading, *lists]
    return boxes


@functools.lru_cache(maxsize=4096)  # a page repeats its class names many times
def _named(cls: str | None, ident: str | None) -> str | None:
    """What a class or id names: page furniture, a count (`counters.named`), or neither."""
    if NOISE_NAME_RE.search(f"{cls or ''} {ident or ''}"):
        return "furniture"
    return "count" if counters.named(cls, ident) else None


def _widen_to_h1(node, weights: dict):
    """Take in the page's <h1> when it sits just outside the chosen container."""
    if node.tag == "h1" or node.find(".//h1") is not None:
        return node
    base = weights.get(node, (0, 0))[0]
    for ancestor in node.iterancestors():
        if weights.get(ancestor, (0, 0))[0] > 1.5 * base + 300:
            break
        if ancestor.find(".//h1") is not None:
            return ancestor
    return node

