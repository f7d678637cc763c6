"""A page's linked documents: which links are documents to watch, the sources they become,
and how a newly linked one is announced. Pure functions over the page model."""

from __future__ import annotations

import fnmatch
import hashlib
from collections import Counter
from urllib.parse import unquote, urlsplit

from .boundary import home_of
from .models import Block, Change, Document, Observation, ParseRules, Section, Source


def linked_documents(doc: Document, pattern: str) -> list[tuple[str, Section, Block]]:
    """(URL, section, passage) of each link whose file name matches `pattern`, once each."""
    seen: set[str] = set()
    out = []
    for section in doc.sections:
        for block in section.blocks:
            for url in block.links:
                name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
                if url not in seen and name and fnmatch.fnmatch(name.lower(), pattern.lower()):
                    seen.add(url)
                    out.append((url, section, block))
    return out


def document_sources(page: Source, urls: list[str], *,
                     lang: str | None = None) -> dict[str, Source]:
    """Each linked document as a source of its own, named after the page and the file (and,
    for two files of one name, such as 2024/plan.pdf and 2025/plan.pdf, a hash of the URL)."""
    def named(url: str) -> str:
        return f"{page.name}/{unquote(urlsplit(url).path.rsplit('/', 1)[-1])}"

    taken = Counter(named(url) for url in urls)
    return {url: Source(
        name=named(url) if taken[named(url)] == 1
        else f"{named(url)}#{hashlib.sha256(url.encode()).hexdigest()[:6]}",
        url=url, timeout=page.timeout, robots=page.robots,
        rules=ParseRules(lang=page.rules.lang or lang),  # a PDF rarely says its language
        alert=page.alert, parent=page.name, home=page.home or home_of(page.url),
        proxy=page.proxy)
        for url in urls}


def announce(changes: list[Change], documents: list[tuple[Section, Block, Observation]],
              page: Source) -> list[Change]:
    """A document linked for the first time is one alert with its title and size, in place
    of the page's change that added the link."""
    out = list(changes)
    for section, block, obs in documents:
        if obs.result != "new" or obs.doc is None:
            continue
        pages = obs.doc.metadata.get("pages")
        kind = "PDF" if obs.doc.metadata.get("format") == "pdf" else "document"
        text = (f"New document: {obs.doc.title or obs.source.name.split('/', 1)[1]} ({kind}"
                + (f", {pages} page{'s' if pages != '1' else ''})" if pages else ")"))
        at = next((k for k, c in enumerate(out) if c.new_text == block.text), None)
        locator = out[at].locator if at is not None else None
        change = Change(list(section.path), "added", "new_entry", None, text, [["+", text]], [],
                        1.0, page.alert.get("new_entry", True), page.name, locator)
        if at is None:
            out.append(change)
        else:
            out[at] = change
    return out
