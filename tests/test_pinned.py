"""What the parser makes of every page the tests hold, pinned (`tests/fixtures/documents.json`):
work on its speed must leave every document as it was. After a deliberate change,
`scripts/pin_documents.py` rewrites the pins."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from pin_documents import PINS, digest, pages  # noqa: E402

PAGES = pages()
PINNED = json.loads(PINS.read_text(encoding="utf-8"))


def test_every_page_is_pinned():
    assert sorted(PAGES) == sorted(PINNED)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_document_is_what_it_was(name):
    assert digest(*PAGES[name]) == PINNED[name], (
        f"{name}: the parser now reads this page differently; if that is meant, run "
        "scripts/pin_documents.py and say why in the commit")
