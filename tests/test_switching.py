"""`docwatch import`: the pages urlwatch and changedetection.io watch, from files the tools
wrote themselves (tests/fixtures/switching, made by make.py there), into a config that loads
and checks the same pages served on 127.0.0.1, each selector keeping its meaning."""

from __future__ import annotations

import re
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest

from docwatch.config import load
from docwatch.parsing import parse

from . import pdfs
from .conftest import FIXTURES, run_cli
from .servers import Response, Server

HERE = FIXTURES / "switching"
PAGES = HERE / "pages"
SECRETS = ("s3cr3t-t0ken", "pa55w0rd")


def _with_port(src: Path, dst: Path, port: int) -> Path:
    """A copy of the tool's file (or folder, or ZIP) pointing at the test's server."""
    def fix(data: bytes) -> bytes:
        return data.replace(b"127.0.0.1:8765", f"127.0.0.1:{port}".encode())

    if src.is_dir():
        for f in src.rglob("*"):
            if f.is_file():
                (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
                (dst / f.relative_to(src)).write_bytes(fix(f.read_bytes()))
    elif zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
            for name in z.namelist():
                out.writestr(name, fix(z.read(name)))
    else:
        dst.write_bytes(fix(src.read_bytes()))
    return dst


def _site(site: Server) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    for name in ("forms", "news"):
        site.put(f"/{name}", Response((PAGES / f"{name}.html").read_bytes(), headers=html))
    site.put("/private", Response((PAGES / "forms.html").read_bytes(), headers=html))
    site.put("/report.pdf", Response(pdfs.strategy(1), headers={"Content-Type": "application/pdf"}))


def _sources(config: Path) -> dict[str, dict]:
    return {s["name"]: s for s in tomllib.loads(config.read_text())["source"]}


def test_urlwatch_jobs_become_sources_that_check_the_same_pages(tmp_path):
    config = tmp_path / "docwatch.toml"
    with Server() as site:
        _site(site)
        port = site.url("/").split(":")[2].split("/")[0]
        # already here: a source of the same name (another page) and one of the news page's URL
        config.write_text(f'[[source]]\nname = "ministry-forms"\nurl = "{site.url("/other")}"\n\n'
                          f'[[source]]\nname = "news"\nurl = "{site.url("/news")}"\n')
        urls = _with_port(HERE / "urls.yaml", tmp_path / "urls.yaml", int(port))
        out = run_cli("--config", str(config), "import", "urlwatch", str(urls))
        assert out.returncode == 0, out.stderr
        sources = _sources(config)
        assert sources["ministry-forms"]["url"] == site.url("/other")  # never overwritten
        forms = sources["ministry-forms-2"]
        assert forms["content"] == "div.content" and forms["exclude"] == [".share"]
        assert forms["ignore"][0] == r"Visitors today: \d+"
        assert "news-main-column" not in sources  # its URL was already watched...
        assert "already watched" in out.stdout  # ...and the output says so
        assert sources["portal"]["render"] == "browser"
        assert sources["private-register"]["headers"]["Authorization"] == "Bearer s3cr3t-t0ken"
        assert "job 7 ('Disk usage'): not imported: a shell command" in out.stdout
        assert "job 4 ('Search results'): not imported: a POST" in out.stdout
        assert not any(s in out.stdout + out.stderr for s in SECRETS)
        load(config, required=True)  # the whole file loads
        db = tmp_path / "w.db"
        names = [n for n in sources if n not in ("portal", "ministry-forms")]
        checked = run_cli("--db", str(db), "--config", str(config), "fetch", "--once", *names)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.count("first snapshot recorded") == len(names)
        sent = site.headers["/private"][-1]
        assert sent["Authorization"].startswith("Basic ")  # the URL's credentials...
    assert not any(s.encode() in db.read_bytes() for s in SECRETS)  # ...never stored


def test_a_dry_run_prints_the_tables_with_secrets_masked_and_writes_nothing(tmp_path):
    config = tmp_path / "docwatch.toml"
    out = run_cli("--config", str(config), "import", "urlwatch", str(HERE / "urls.yaml"),
                  "--dry-run")
    assert out.returncode == 0, out.stderr
    assert not config.exists()
    assert not any(s in out.stdout for s in SECRETS)
    assert 'url = "http://analyst:****@127.0.0.1:8765/private"' in out.stdout
    assert '"Authorization" = "****"' in out.stdout
    tables = tomllib.loads(out.stdout)["source"]  # the output is itself TOML
    assert [t["name"] for t in tables] == ["ministry-forms", "news-main-column",
                                           "private-register", "127.0.0.1-report.pdf", "portal"]
    assert tables[1]["match"] == ["NATO"]  # grep: the source alerts on changes mentioning it


@pytest.mark.parametrize("form", ["changedetection", "changedetection-backup.zip"])
def test_a_changedetection_datastore_becomes_sources(tmp_path, form):
    config = tmp_path / "docwatch.toml"
    with Server() as site:
        _site(site)
        port = int(site.url("/").split(":")[2].split("/")[0])
        target = tmp_path / form
        if not form.endswith(".zip"):
            target.mkdir()
        store = _with_port(HERE / form, target, port)
        out = run_cli("--config", str(config), "import", "changedetection", str(store))
        assert out.returncode == 0, out.stderr
        sources = _sources(config)
        assert sorted(sources) == ["127.0.0.1-news", "annual-report", "ministry-forms",
                                   "portal", "private-register"]
        forms = sources["ministry-forms"]
        assert (forms["content"], forms["exclude"], forms["every"]) == ("div.content",
                                                                       [".share"], "6h")
        assert sorted(forms["tags"]) == ["defence", "forms"]
        assert sources["127.0.0.1-news"]["content"] == "xpath://div[@id='main']"
        assert sources["127.0.0.1-news"]["every"] == "1470m"  # 1 day 30 minutes
        assert sources["127.0.0.1-news"]["match"] == ["NATO"]  # its trigger_text
        assert sources["annual-report"]["every"] == "3h"  # the datastore's default
        assert sources["portal"]["render"] == "browser"
        assert "Portal: not carried over: browser steps" in out.stdout
        assert "Body armour price: not imported: a restock_diff processor" in out.stdout
        assert "Data feed: not imported: a JSON filter" in out.stdout
        assert not any(s in out.stdout for s in SECRETS)
        # a channel filtered by tag carries the tagged sources
        with config.open("a") as f:
            f.write('\n[[notify]]\nurl = "json://127.0.0.1:9/hook"\ntags = ["defence"]\n')
        [target_] = load(config, required=True).notify
        assert target_.sources == ("ministry-forms",)
        names = ["ministry-forms", "127.0.0.1-news", "private-register", "annual-report"]
        checked = run_cli("--db", str(tmp_path / "w.db"), "--config", str(config), "fetch",
                          "--once", *names)
        assert checked.returncode == 0, checked.stderr


def test_a_changedetection_0_49_url_watches_json_becomes_sources(tmp_path):
    config = tmp_path / "docwatch.toml"
    out = run_cli("--config", str(config), "import", "changedetection",
                  str(HERE / "changedetection-0.49" / "url-watches.json"))
    assert out.returncode == 0, out.stderr
    sources = _sources(config)
    assert sources["ministry-forms"]["tags"] == ["defence"]
    assert sources["ministry-forms"]["ignore"] == ["(?i).*(?:Visitors\\ today).*"]
    assert sources["127.0.0.1-news"]["content"] == "xpath://div[@id='main']"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+(?:[.,'’/-]\w+)*", text.casefold())


@pytest.mark.parametrize("tool, store", [("urlwatch", "urls.yaml"),
                                         ("changedetection", "changedetection")])
@pytest.mark.parametrize("page", ["forms", "news"])
def test_an_imported_selector_keeps_what_the_tool_s_filter_kept(tmp_path, tool, store, page):
    config = tmp_path / "docwatch.toml"
    assert run_cli("--config", str(config), "import", tool, str(HERE / store)).returncode == 0
    [source] = [s for s in load(config, required=True).sources if s.url.endswith(f"/{page}")]
    doc = parse((PAGES / f"{page}.html").read_bytes(), rules=source.rules)
    expected = (HERE / f"expected-{tool}-{page}.txt").read_text()
    # A line docwatch reads as volatile is its metadata, not content: the tool kept it.
    kept = [line for line in expected.splitlines() if "last reviewed" not in line.lower()]
    assert "last reviewed" not in doc.text.lower()
    assert _words(doc.text) == _words("\n".join(kept))


@pytest.mark.parametrize("tool, content, says", [
    ("urlwatch", "url: [unclosed\n", "not urlwatch's urls.yaml: not YAML (line 2)"),
    ("urlwatch", "name: no address\nkind: url\n", "job 1 ('no address'): url: missing"),
    ("urlwatch", "- a\n- list\n", "job 1: not a job"),
    ("changedetection", None, "changedetection.json: not JSON"),
])
def test_a_malformed_file_is_one_line_and_nothing_is_written(tmp_path, tool, content, says):
    config = tmp_path / "docwatch.toml"
    config.write_text('[[source]]\nname = "kept"\nurl = "http://127.0.0.1:9/kept"\n')
    before = config.read_bytes()
    if content is not None:
        path = tmp_path / "urls.yaml"
        path.write_text(content)
    else:
        path = tmp_path / "datastore"
        shutil.copytree(HERE / "changedetection", path)
        (path / "changedetection.json").write_text("{ not json")
    out = run_cli("--config", str(config), "import", tool, str(path))
    assert out.returncode == 2
    [line] = out.stderr.splitlines()
    assert line.startswith(f"docwatch: {path}") and says in line, line
    assert "Traceback" not in out.stderr
    assert config.read_bytes() == before


@pytest.mark.parametrize("text, regex, term", [
    ("NATO", False, "NATO"), ("Vilnius summit", False, '"Vilnius summit"'),
    ('say "hello"', False, '"say hello"'), (r"\bUkraine\b", True, "Ukraine"),
    ("Ukrain(e|a)", True, None), ("^foo.*bar$", True, None),
])
def test_what_a_tool_waited_for_becomes_a_match_term(text, regex, term):
    from docwatch.importing import match_term
    from docwatch.matching import parse_term

    assert match_term(text, regex=regex) == term
    if term:
        parse_term(term)  # a term the config takes


def test_no_password_of_an_unnamed_job_reaches_the_output(tmp_path):
    urls = tmp_path / "urls.yaml"
    urls.write_text("url: http://analyst:hunter2@127.0.0.1:9/x\nfilter: grep:foo\n---\n"
                    "url: ftp://analyst:hunter2@127.0.0.1/y\n")
    out = run_cli("--config", str(tmp_path / "c.toml"), "import", "urlwatch", str(urls),
                  "--dry-run")
    assert out.returncode == 2  # the ftp job: not a page address
    assert "hunter2" not in out.stdout + out.stderr
    urls.write_text("url: http://analyst:hunter2@127.0.0.1:9/x\nfilter: grep:^foo.*bar$\n")
    out = run_cli("--config", str(tmp_path / "c.toml"), "import", "urlwatch", str(urls),
                  "--dry-run")
    assert out.returncode == 0 and "http://analyst:****@127.0.0.1:9/x: not carried over" \
        in out.stdout
    assert "hunter2" not in out.stdout + out.stderr

