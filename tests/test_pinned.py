"""What the parser makes of every page the tests hold, pinned (`tests/fixtures/documents.json`):
work on its speed must leave every document as it was; and what the browser draws of every
page a script draws (`tests/fixtures/rendered.json`). After a deliberate change,
`scripts/pin_documents.py` (`--rendered`) rewrites the pins."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from pin_documents import PINS, RENDERED, digest, pages, rendered  # noqa: E402

from .conftest import needs_chromium  # noqa: E402

PAGES = pages()
PINNED = json.loads(PINS.read_text(encoding="utf-8"))


def test_every_page_is_pinned():
    assert sorted(PAGES) == sorted(PINNED)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_document_is_what_it_was(name):
    assert digest(*PAGES[name]) == PINNED[name], (
        f"{name}: the parser now reads this page differently; if that is meant, run "
        "scripts/pin_documents.py and say why in the commit")


@needs_chromium
def test_every_drawn_page_renders_into_the_document_it_did():
    """The pages scripts draw (`tests/drawn.py`), rendered by the real browser: work on the
    browser must draw each into the same document."""
    pinned = json.loads(RENDERED.read_text(encoding="utf-8"))
    now = rendered()
    moved = sorted(name for name in pinned if now.get(name) != pinned[name])
    assert sorted(now) == sorted(pinned) and not moved, (
        f"the browser now draws {moved} differently; if that is meant, run "
        "scripts/pin_documents.py --rendered and say why in the commit")
