"""Write tests/fixtures/documents.json: a digest of what `parse` makes of every page the
tests hold (the EDGI pairs, every version of the demo's two pages, the shared pathological
shapes at a small size). `tests/test_pinned.py` checks today's parser against it, so work on
the parser's speed shows it changed no document; after a deliberate change, run

    .venv/bin/python scripts/pin_documents.py

and say in the commit which documents moved and why. With `--rendered` it writes
tests/fixtures/rendered.json instead: the documents of the pages scripts draw
(`tests/drawn.py`) as the browser renders them, served on 127.0.0.1, so work on the browser
shows it draws every page as it did (`tests/test_pinned.py` checks it where Chromium is).
"""

from __future__ import annotations

import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from docwatch.demo.history import history  # noqa: E402
from docwatch.errors import ParseError  # noqa: E402
from docwatch.parsing import parse  # noqa: E402
from tests import pathological  # noqa: E402

PINS = ROOT / "tests/fixtures/documents.json"
RENDERED = ROOT / "tests/fixtures/rendered.json"
SMALL = {"nested": 500, "one_line": 50_000, "paragraphs": 3_000, "table": 2_000,
         "numbered": 3_000, "forms": 2_000}


def pages() -> dict[str, tuple[bytes, str | None]]:
    """Name -> (body, content type) of every page pinned."""
    out: dict[str, tuple[bytes, str | None]] = {}
    for path in sorted((ROOT / "tests/fixtures/edgi").glob("*.html")):
        out[f"edgi/{path.name}"] = (path.read_bytes(), None)
    for v in history():
        out[f"demo/{v.source}/{v.date}"] = (v.body, v.content_type)
    for name, make in pathological.PAGES.items():
        out[f"pathological/{name}"] = (make(SMALL[name]), None)
    out["pathological/mojibake"] = (pathological.mojibake(), None)
    out["pathological/mojibake-2"] = (pathological.mojibake(version=2), None)
    return out


def digest(body: bytes, content_type: str | None) -> str:
    """The document's digest, or the refusal's kind."""
    try:
        doc = parse(body, content_type=content_type, url="https://example.org/page")
    except ParseError as e:
        return f"refused: {e.kind}"
    text = json.dumps(doc.to_dict(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def rendered() -> dict[str, str]:
    """Name -> the digest of each drawn page's document as the browser renders it, or the
    failure's kind."""
    from docwatch.errors import FetchError
    from docwatch.fetch import Fetcher
    from tests.drawn import pages as drawn
    from tests.servers import Response, Server

    def one(fetcher: Fetcher, paths: dict[str, tuple[bytes, dict[str, str]]]) -> str:
        with Server() as site:
            for path, (body, headers) in paths.items():
                site.put(path, Response(body, headers=headers))
            try:
                page = fetcher.render(fetcher.get(site.url("/"), robots=False), timeout=10)
            except FetchError as e:
                return f"failed: {e.kind}"
        return digest(page.html.encode("utf-8"), "text/html; charset=utf-8")

    served = drawn()
    with Fetcher() as fetcher, ThreadPoolExecutor(fetcher.settings.browser_pages) as pool:
        names = sorted(served)
        return dict(zip(names, pool.map(lambda n: one(fetcher, served[n]), names)))


def main() -> None:
    if sys.argv[1:] == ["--rendered"]:
        pins, where = rendered(), RENDERED
    else:
        pins, where = {name: digest(*page) for name, page in pages().items()}, PINS
    where.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(pins)} documents pinned in {where.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
