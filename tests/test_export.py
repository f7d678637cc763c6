"""`docwatch export git`: the history as a git repository anyone can read (issue 40)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from urllib.parse import urlsplit

import pytest

from docwatch import pipeline
from docwatch.config import BUILTIN_SOURCES
from docwatch.demo.history import history, urm_page, urm_text
from docwatch.demo.replay import run_demo
from docwatch.demo.server import LocalTransport, Site, serve
from docwatch.fetch import Fetcher
from docwatch.models import FetchSettings
from docwatch.store import Store

from .conftest import run_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def demo(tmp_path):
    db = tmp_path / "demo.db"
    run_demo(str(db), echo=lambda *a: None).close()
    return db


def _export(db, repo, *args: str):
    return run_cli("--db", str(db), "export", "git", str(repo), *args)


def _shown(db, source: str, at: str) -> list[tuple[str, str]]:
    """`docwatch show --at`'s headings and passages, as (kind, text)."""
    out = run_cli("--db", str(db), "show", source, "--at", at)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines()[2:] if line]
    return [("heading", line.lstrip("# ")) if line.startswith("#") else
            ("item", line[2:]) if line.startswith("• ") else ("passage", line) for line in lines]


def _read(markdown: str) -> list[tuple[str, str]]:
    """The exported file's headings and passages, as (kind, text), as a reader sees them."""
    blocks = markdown.split("\n\n")[2:]  # the title and the address
    out = []
    for b in blocks:
        b = b.strip("\n")
        if b.startswith("#"):
            out.append(("heading", b.lstrip("# ")))
        elif b.startswith("- "):
            out.append(("item", b[2:]))
        else:
            b = re.sub(r"^\*\*(.+?)\*\* — ", r"\1 — ", b)  # an entry's date
            b = re.sub(r"^\[(.*)\]\(<.*>\)$", r"\1", b)  # a link
            out.append(("passage", "\n".join(x.removeprefix("\\") for x in b.split("\n"))))
    return out


def test_each_version_is_a_commit_dated_when_it_was_found(demo, tmp_path):
    repo = tmp_path / "history"
    out = _export(demo, repo)
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(demo) as conn:  # a recorded version: a check that found a change
        found = [at[:10] for at, in conn.execute("SELECT taken_at FROM snapshots ORDER BY id")]
    assert 2 < len(found) < len(history())  # the checks that found only noise recorded none
    assert out.stdout == f"{repo}: {len(found)} commit(s) added\n"
    log = git(repo, "log", "--reverse", "--format=%ad|%s", "--date=short").splitlines()
    assert [line.split("|")[0] for line in log] == sorted(found)
    assert log[0].endswith("kam-non-nato: first version")
    assert any("— 5 changes" in line for line in log)
    body = git(repo, "log", "-1", "--format=%B", "--", "urm-nato.md")
    assert "+ NEW ENTRY" in body and "24-25 June 2025" in body  # the check's alert lines
    assert sorted(git(repo, "ls-files").split()) == [".docwatch-export.json", "kam-non-nato.md",
                                                     "urm-nato.md"]
    assert git(repo, "status", "--porcelain") == ""  # the work tree is the last commit


def test_a_file_reads_as_the_page_did_at_each_version(demo, tmp_path):
    repo = tmp_path / "history"
    assert _export(demo, repo).returncode == 0
    for line in git(repo, "log", "--format=%H %aI", "--", "urm-nato.md").splitlines()[:3]:
        commit, at = line.split()
        text = git(repo, "show", f"{commit}:urm-nato.md")
        assert text.startswith("# Lithuania's membership in the North Atlantic Treaty")
        shown = _shown(demo, "urm-nato", at.replace("+00:00", "Z"))
        # show prints an entry's paragraphs as lines; the file keeps them in one paragraph
        words = lambda blocks: " ".join(t for _, t in blocks).split()
        headings = lambda blocks: [t for k, t in blocks if k == "heading"]
        assert words(_read(text)) == words(shown)
        assert headings(_read(text)) == headings(shown)
        items = [t for k, t in _read(text) if k == "item"]
        assert items == [t for k, t in shown if k == "item"]
        assert len(_read(text)) > 40


def test_a_second_run_adds_nothing_and_a_new_version_adds_one_commit(demo, tmp_path):
    repo = tmp_path / "history"
    assert _export(demo, repo).returncode == 0
    head = git(repo, "rev-parse", "HEAD")
    again = _export(demo, repo)
    assert again.returncode == 0 and again.stdout == f"{repo}: nothing new\n"
    assert git(repo, "rev-parse", "HEAD") == head

    _one_more_version(demo, "2025-09-01", "The Alliance agreed a new deterrence plan.")
    more = _export(demo, repo)
    assert more.returncode == 0 and more.stdout == f"{repo}: 1 commit(s) added\n"
    assert git(repo, "rev-parse", "HEAD~1") == head
    assert git(repo, "log", "-1", "--format=%ad", "--date=short").strip() == "2025-09-01"
    assert "The Alliance agreed a new deterrence plan." in (repo / "urm-nato.md").read_text()
    assert "The Alliance agreed" in git(repo, "log", "-1", "--format=%B")


def _one_more_version(db, date: str, sentence: str) -> None:
    """The urm.lt page once more, with one paragraph more, checked as the demo checks it."""
    source = next(s for s in BUILTIN_SOURCES if s.name == "urm-nato")
    body = urm_text("2025-07-01").replace("</h2>", f"</h2><p>{sentence}</p>", 1)
    site = Site()
    site.put(urlsplit(source.url).path, urm_page(body, date, layout="2025"),
             "text/html; charset=utf-8")
    with serve(site) as base, Fetcher(FetchSettings(retries=0),
                                       transport=LocalTransport(base)) as fetcher, \
            Store(db) as store:
        [result] = pipeline.check_all([source], store, fetcher=fetcher,
                                      clock=lambda: f"{date}T09:00:00Z")
        assert result.status == "changed", result


def test_only_the_sources_named(demo, tmp_path):
    repo = tmp_path / "one"
    assert _export(demo, repo, "--source", "kam-non-nato").returncode == 0
    assert git(repo, "ls-files").split() == [".docwatch-export.json", "kam-non-nato.md"]
    unknown = _export(demo, tmp_path / "two", "--source", "nowhere")
    assert unknown.returncode == 2 and not (tmp_path / "two").exists()


@pytest.mark.parametrize("prepare", ["a file", "another repository"])
def test_a_folder_it_did_not_make_is_refused_and_left_alone(demo, tmp_path, prepare):
    repo = tmp_path / "notes"
    repo.mkdir()
    (repo / "todo.txt").write_text("mine\n")
    if prepare == "another repository":
        git(repo, "init", "-q")
    out = _export(demo, repo)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "not a repository made by docwatch export git" in out.stderr
    assert (repo / "todo.txt").read_text() == "mine\n"
    assert sorted(p.name for p in repo.iterdir()) == sorted(
        ["todo.txt"] + ([".git"] if prepare == "another repository" else []))


def test_a_status_event_is_a_commit_of_its_own(tmp_path):
    from docwatch.models import Source
    from tests.servers import Response, Server
    from tests.test_notify import versions

    db = tmp_path / "w.db"
    with Server() as page:
        source = Source("plans", page.url("/page"))
        with Store(db) as store, Fetcher(FetchSettings(retries=0)) as http:
            for k, body in enumerate([versions("2023-07-20"), *[None] * 3, versions("2024-04-02")]):
                page.put("/page", Response(500, b"down") if body is None else body)
                pipeline.check_all([source], store, fetcher=http,
                                   clock=lambda k=k: f"2024-0{k + 1}-01T09:00:00Z")
    repo = tmp_path / "history"
    assert _export(db, repo).returncode == 0
    log = git(repo, "log", "--reverse", "--format=%ad %s", "--date=short").splitlines()
    assert log == ["2024-01-01 plans: first version", "2024-04-01 plans: ⚠ source failing",
                   "2024-05-01 plans: ✓ source recovered",
                   "2024-05-01 plans · Lithuania's membership in the North Atlantic Treaty "
                   "Organization (NATO) — 5 changes"]
    assert "3 checks in a row failed" in git(repo, "log", "-1", "--format=%B", "HEAD~2")
