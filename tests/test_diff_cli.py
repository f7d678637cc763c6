"""`docwatch diff OLD NEW --json` prints the change-record contract (issue 2, must-show 3)."""

from __future__ import annotations

import json

from docwatch.demo.history import kam_page, kam_text, urm_page, urm_text

from .conftest import FIXTURES, run_cli

CONTRACT = {"source", "section", "kind", "category", "old_text", "new_text", "diff", "figures",
            "significance", "alert"}


def _pair(tmp_path, old: bytes, new: bytes):
    a, b = tmp_path / "old.html", tmp_path / "new.html"
    a.write_bytes(old)
    b.write_bytes(new)
    return str(a), str(b)


def test_diff_json_has_every_contract_field(tmp_path):
    old, new = _pair(tmp_path, urm_page(urm_text("2023-04-12"), "2023-04-12"),
                     urm_page(urm_text("2024-07-15"), "2024-07-15"))
    result = run_cli("diff", old, new, "--json")
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)["changes"]
    assert changes
    for change in changes:
        assert CONTRACT <= set(change)
        assert change["source"] is None
        assert change["kind"] in {"added", "removed", "modified", "moved"}
        assert 0 <= change["significance"] <= 1
        assert isinstance(change["section"], list) and all(isinstance(s, str) for s in change["section"])
        assert all(op in {"=", "-", "+"} for op, _ in change["diff"])
    by_category = {c["category"] for c in changes}
    assert {"new_entry", "revised_figure", "content_removed", "minor_edit"} <= by_category
    redated = [c for c in changes if c["section"][-1] == "3-4 December 2019"]
    assert redated[0]["figures"] == [{"old": "3-4 December 2020", "new": "3-4 December 2019",
                                      "old_iso": "2020-12-03/2020-12-04",
                                      "new_iso": "2019-12-03/2019-12-04"}]
    assert redated[0]["date"] == "2019-12-03/2019-12-04"
    assert redated[0]["alert"] is True


def test_diff_of_windows_1257_pages(tmp_path):
    old, new = _pair(tmp_path, kam_page(kam_text("2011-03-31"), "2011-03-31"),
                     kam_page(kam_text("2014-09-10"), "2014-09-10"))
    changes = json.loads(run_cli("diff", old, new, "--json").stdout)["changes"]
    edits = [c for c in changes if c["alert"]]
    assert [c["category"] for c in edits] == ["text_edit", "text_edit"]
    assert ["-", ", Russia"] in edits[0]["diff"]


def test_diff_of_a_missing_file_is_one_line(tmp_path):
    result = run_cli("diff", str(tmp_path / "nope.html"), str(FIXTURES / "edgi/falsepos-footer-a.html"))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("docwatch: cannot read ")
    assert "No such file" in result.stderr and "Traceback" not in result.stderr


def test_diff_of_a_binary_file_is_one_line(tmp_path):
    old, new = _pair(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x01binary", b"<p>hello</p>")
    result = run_cli("diff", old, new)
    assert result.returncode == 1
    assert result.stderr.strip() == f"docwatch: {old}: binary content, not an HTML page"
