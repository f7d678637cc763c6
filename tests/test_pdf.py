"""Documents, not only pages: PDFs made in the test (reportlab), read into the page model,
diffed by section, watched as a page's linked documents. Real server, real CLI, real SQLite,
the real `sqlite-utils`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docwatch.diffing import diff
from docwatch.parsing import parse

from . import pdfs
from .conftest import run_cli
from .servers import Response, Server

PDF = {"Content-Type": "application/pdf"}


def test_a_revised_strategy_alerts_on_its_new_section_and_revised_figure_only():
    old = parse(pdfs.strategy(1, footer_date="2025-01-15"))
    new = parse(pdfs.strategy(2, footer_date="2025-06-30"))  # the footers' dates differ too
    assert old.title == "Nacionalinio saugumo strategija"
    assert old.metadata["format"] == "pdf" and int(old.metadata["pages"]) >= 2
    changes = [c for c in diff(old, new) if c.alert]
    assert [(c.category, c.section[-1]) for c in changes] == [
        ("revised_figure", "2. Gynybos finansavimas"),
        ("content_added", "4. Energetinis saugumas")]
    assert changes[0].figures == [{"old": "2,5 proc.", "new": "3 proc."}]
    assert "BRELL" in changes[1].new_text


def test_the_same_text_reflowed_on_other_pages_is_no_change():
    a, b = pdfs.strategy(1), pdfs.reflowed(1)
    assert a != b
    assert parse(a).sections == parse(b).sections
    assert diff(parse(a), parse(b)) == []


def test_running_headers_footers_and_page_numbers_are_not_content():
    text = "\n".join(s.text for s in parse(pdfs.strategy(1)).sections)
    assert "Lietuvos Respublikos Seimas" not in text and "psl." not in text
    assert "Paskelbta" not in text


def test_paragraphs_are_rejoined_and_hyphenation_undone():
    doc = parse(pdfs.hyphenated())
    assert [s.heading for s in doc.sections if s.path] == ["Gynybos politika"]
    [block] = [b for s in doc.sections for b in s.blocks]
    assert block.text == ("Lietuva kasmet skiria daugiau lėšų krašto gynybai ir stiprina "
                          "bendradarbiavimą su sąjungininkais regione.")


@pytest.mark.parametrize("make, kind, says", [
    (pdfs.encrypted, "encrypted", "the PDF is encrypted and cannot be read without its password"),
    (pdfs.image_only, "image_only", "no text in its 2 page(s): an image-only (scanned) PDF"),
    (pdfs.truncated, "truncated", "the PDF is cut short"),
])
def test_unreadable_pdfs_are_one_line_with_their_kind(tmp_path, write_config, make, kind, says):
    with Server() as site:
        site.put("/doc.pdf", Response(make(), headers=PDF))
        config = write_config(f'[[source]]\nname = "doc"\nurl = "{site.url("/doc.pdf")}"\n')
        result = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch",
                         "--once")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"docwatch: doc: {says}") and line.endswith(f"[{kind}]")


def _page(*links: tuple[str, str]) -> bytes:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return (f"<html lang='lt'><body><h1>Strateginiai dokumentai</h1><p>Čia skelbiami "
            f"Lietuvos strateginiai dokumentai.</p><h2>Dokumentai</h2><ul>{items}</ul>"
            "</body></html>").encode()


def test_a_page_s_linked_documents_are_watched_like_pages(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/docs", _page(("/files/programa.pdf", "Vyriausybės programa (PDF)")))
        site.put("/files/programa.pdf", Response(pdfs.hyphenated(), headers=PDF))
        site.put("/files/strategija.pdf", Response(pdfs.strategy(1), headers=PDF))
        config = write_config(f'[[source]]\nname = "docs"\nurl = "{site.url("/docs")}"\n'
                              'documents = true\n')

        def fetch() -> subprocess.CompletedProcess:
            out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
            assert out.returncode == 0, out.stderr
            return out

        first = fetch()
        assert "docs: first snapshot recorded" in first.stdout
        # a second document is linked: one alert, with its title and size
        site.put("/docs", _page(("/files/programa.pdf", "Vyriausybės programa (PDF)"),
                                ("/files/strategija.pdf", "Strategija (PDF)")))
        second = fetch().stdout
        assert second.count("NEW ENTRY") == 1, second
        assert "New document: Nacionalinio saugumo strategija (PDF, 2 pages)" in second
        assert "ADDED" not in second
        # the document is revised (the page is not): its own typed changes
        site.put("/files/strategija.pdf", Response(pdfs.strategy(2), headers=PDF))
        third = fetch().stdout
        assert "docs/strategija.pdf" in third
        assert "2,5 proc. → 3 proc." in third and "4. Energetinis saugumas" in third
        assert site.count("/files/programa.pdf") == 3  # each document checked each time
        assert fetch().stdout.count("no change") == 3  # the page and its two documents

    sqlite_utils = Path(sys.executable).parent / "sqlite-utils"

    def query(sql: str) -> list[dict]:
        out = subprocess.run([str(sqlite_utils), str(db), sql], capture_output=True, text=True,
                             check=True)
        return json.loads(out.stdout)

    sources = query("select s.name, p.name as parent from sources s "
                    "left join sources p on p.id = s.parent_id order by s.name")
    assert sources == [{"name": "docs", "parent": None},
                       {"name": "docs/programa.pdf", "parent": "docs"},
                       {"name": "docs/strategija.pdf", "parent": "docs"}]
    figures = query("select source, figures from change_feed where category = 'revised_figure'")
    assert figures == [{"source": "docs/strategija.pdf",
                        "figures": '[{"old": "2,5 proc.", "new": "3 proc."}]'}]
    announced = query("select source, section_path, new_text from change_feed "
                      "where category = 'new_entry'")
    assert announced == [{"source": "docs", "section_path": "Strateginiai dokumentai › Dokumentai",
                          "new_text": "New document: Nacionalinio saugumo strategija (PDF, 2 pages)"}]
    versions = query("select source, count(*) as n from snapshot_sections group by source "
                     "having source like 'docs/%' order by source")
    assert [v["source"] for v in versions] == ["docs/programa.pdf", "docs/strategija.pdf"]
    history = run_cli("--db", str(db), "history", "docs/strategija.pdf").stdout
    assert "4. Energetinis saugumas" in history and "[-2,5-]{+3+} proc." in history
    # stored PDFs are re-read by `reparse` like stored pages
    import sqlite3
    conn = sqlite3.connect(db)
    conn.execute("UPDATE snapshots SET parsed_with = 'an older parser'")
    conn.commit()
    rebuilt = run_cli("--db", str(db), "reparse", "docs/strategija.pdf")
    assert rebuilt.stdout.strip() == "docs/strategija.pdf: 2 version(s) rebuilt"
    assert query("select figures from change_feed where category = 'revised_figure'") == [
        {"figures": '[{"old": "2,5 proc.", "new": "3 proc."}]'}]


def test_a_removed_document_link_is_a_change_of_the_page(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        both = (("/a.pdf", "Programa (PDF)"), ("/b.pdf", "Strategija (PDF)"))
        site.put("/docs", _page(*both))
        site.put("/a.pdf", Response(pdfs.hyphenated(), headers=PDF))
        site.put("/b.pdf", Response(pdfs.strategy(1), headers=PDF))
        config = write_config(f'[[source]]\nname = "docs"\nurl = "{site.url("/docs")}"\n'
                              'documents = "*.pdf"\n')
        run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
        site.put("/docs", _page(both[0]))
        out = run_cli("--db", str(db), "--config", str(config), "fetch", "--once").stdout
        b_checks = site.count("/b.pdf")
    assert "REMOVED" in out and "Strategija (PDF)" in out
    assert b_checks == 1  # no longer linked: no longer fetched (its history stays)


def test_two_linked_files_of_one_name_are_two_documents():
    from docwatch.models import Source
    from docwatch.documents import document_sources, linked_documents

    page = parse(_page(("https://example.lt/2024/planas.pdf", "Planas 2024"),
                       ("https://example.lt/2025/planas.pdf", "Planas 2025"),
                       ("https://example.lt/apie", "Apie")))
    found = linked_documents(page, "*.pdf")
    assert [url for url, _, _ in found] == ["https://example.lt/2024/planas.pdf",
                                            "https://example.lt/2025/planas.pdf"]
    docs = Source("docs", "https://example.lt/", documents="*.pdf")
    names = [s.name for s in document_sources(docs, [url for url, _, _ in found]).values()]
    assert len(set(names)) == 2 and all(n.startswith("docs/planas.pdf#") for n in names)
    assert document_sources(docs, [found[0][0]])[found[0][0]].name == "docs/planas.pdf"


def test_sources_lists_a_page_s_documents_as_checked_with_it(tmp_path, write_config):
    db = tmp_path / "w.db"
    with Server() as site:
        site.put("/docs", _page(("/a.pdf", "Programa (PDF)")))
        site.put("/a.pdf", Response(pdfs.hyphenated(), headers=PDF))
        config = write_config(f'[[source]]\nname = "docs"\nurl = "{site.url("/docs")}"\n'
                              'documents = true\n')
        run_cli("--db", str(db), "--config", str(config), "fetch", "--once")
    table = run_cli("--db", str(db), "--config", str(config), "sources").stdout
    [row] = [line for line in table.splitlines() if line.startswith("docs/a.pdf")]
    assert "with docs" in row and "new" in row


def test_a_two_page_pdf_s_running_footer_set_high_is_no_change():
    old, new = parse(pdfs.two_pages("2026-01-15")), parse(pdfs.two_pages("2026-02-03"))
    assert "Printed" not in "\n".join(s.text for s in old.sections)
    assert diff(old, new) == []
