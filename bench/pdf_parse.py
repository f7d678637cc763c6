"""Parse time per page of a 50-page PDF (made with reportlab, as in the tests), beside
pdfminer.six's own `extract_text` of the same file, measured in the same run: docwatch's
layout steps (running lines, headings, paragraphs, then the page model) over the cost of
reading the text at all.

    .venv/bin/python bench/pdf_parse.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from pdfminer.high_level import extract_text  # noqa: E402

from docwatch.parsing import parse  # noqa: E402
from tests.pdfs import long_document  # noqa: E402
from timing import median_seconds  # noqa: E402

ROUNDS = 3


def median_s(fn) -> float:
    return median_seconds(fn, ROUNDS, warm_up=False)


def main() -> None:
    body = long_document(50)
    doc = parse(body)
    pages = int(doc.metadata["pages"])
    ours = median_s(lambda: parse(body))
    baseline = median_s(lambda: extract_text(io.BytesIO(body)))
    blocks = sum(len(s.blocks) for s in doc.sections)
    print(f"{pages} pages, {len(body) / 1024:.0f} KB, {len(doc.sections)} sections, "
          f"{blocks} paragraphs (median of {ROUNDS})")
    print(f"docwatch parse:          {ours:6.2f} s   {ours / pages * 1000:5.1f} ms a page")
    print(f"pdfminer extract_text:   {baseline:6.2f} s   {baseline / pages * 1000:5.1f} ms a page")
    print(f"ratio: {ours / baseline:.2f}×")


if __name__ == "__main__":
    main()
