"""`docwatch add URL`: one page added in one command, checked as the config loads it."""

from __future__ import annotations

import signal
import tomllib

import pytest

from docwatch.demo.history import urm_page, urm_text

from .conftest import run_cli
from .daemon import Run
from .servers import Server

PAGE = urm_page(urm_text("2024-07-15"), "2024-07-15")


@pytest.fixture
def site():
    with Server() as s:
        s.put("/plans", PAGE)
        yield s


def test_an_added_page_is_checked_by_the_next_fetch(site, tmp_path):
    config, db = tmp_path / "docwatch.toml", str(tmp_path / "w.db")
    out = run_cli("--config", str(config), "add", site.url("/plans"), "--name", "plans",
                  "--every", "3h", "--content", "main", "--match", "Ukrain*", "--tag", "defence")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"added source 'plans' to {config}\n"
    [table] = tomllib.loads(config.read_text())["source"]
    assert table == {"name": "plans", "url": site.url("/plans"), "every": "3h",
                     "content": "main", "match": ["Ukrain*"], "tags": ["defence"]}
    fetched = run_cli("--config", str(config), "--db", db, "fetch", "--once")
    assert fetched.returncode == 0, fetched.stderr
    assert site.count("/plans") == 1 and "plans" in fetched.stdout


def test_a_second_page_is_appended_and_a_name_is_made_unique(site, tmp_path):
    config = tmp_path / "docwatch.toml"
    for path in ("/plans", "/plans?v=2"):
        assert run_cli("--config", str(config), "add", site.url(path)).returncode == 0
    names = [s["name"] for s in tomllib.loads(config.read_text())["source"]]
    assert names == ["127.0.0.1-plans", "127.0.0.1-plans-2"]


@pytest.mark.parametrize("args, says", [
    (["{url}"], "is already watched, as source 'plans'"),
    (["{other}", "--name", "plans"], "a source named 'plans' is already in"),
    (["{other}", "--every", "3x"], "every: '3x' is not a duration like '30m', '6h' or '1d'"),
    (["{other}", "--cron", "at noon"], "cron: 'at noon' is not a crontab expression"),
    (["{other}", "--content", "div["], "content: 'div[' is not a CSS selector"),
    (["{other}", "--match", '"Vilnius'], "match: '\"Vilnius': a quote is not closed"),
    (["ftp://127.0.0.1/plans.pdf"], "url: 'ftp://127.0.0.1/plans.pdf' is not an http(s) URL"),
])
def test_a_bad_addition_is_one_line_and_exit_2_and_the_config_is_unchanged(
        site, tmp_path, args, says):
    config = tmp_path / "docwatch.toml"
    assert run_cli("--config", str(config), "add", site.url("/plans"), "--name", "plans"
                   ).returncode == 0
    before = config.read_bytes()
    filled = [a.format(url=site.url("/plans"), other=site.url("/other")) for a in args]
    out = run_cli("--config", str(config), "add", *filled)
    assert out.returncode == 2
    assert len(out.stderr.splitlines()) == 1 and says in out.stderr, out.stderr
    assert config.read_bytes() == before


def test_a_dry_run_writes_nothing_and_no_output_holds_the_password(tmp_path):
    config = tmp_path / "docwatch.toml"
    url = "http://analyst:hunter2@127.0.0.1:9/private"
    dry = run_cli("--config", str(config), "add", url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert not config.exists()
    assert 'url = "http://analyst:****@127.0.0.1:9/private"' in dry.stdout
    done = run_cli("--config", str(config), "add", url)
    assert done.returncode == 0 and "hunter2" not in done.stdout + done.stderr
    assert tomllib.loads(config.read_text())["source"][0]["url"] == url  # the operator's own
    again = run_cli("--config", str(config), "add", url)
    assert again.returncode == 2 and "hunter2" not in again.stderr


def test_with_docwatch_run_reading_the_config_it_says_how_to_reload_it(site, tmp_path):
    run = Run(tmp_path, '[run]\nheartbeat = "1s"\n[[source]]\nname = "plans"\n'
                        f'url = "{site.url("/plans")}"\nevery = "1h"\n')
    try:
        run.wait("check", source="plans")
        out = run_cli("--config", str(run.config), "add", site.url("/plans?v=2"), "--name",
                      "more", "--every", "1h")
        assert out.returncode == 0, out.stderr
        pid = run.proc.pid
        assert f"docwatch run (pid {pid}) reads {run.config}: `kill -HUP {pid}`" in out.stdout
        run.signal(signal.SIGHUP)
        [reloaded] = run.wait("reloaded")
        assert reloaded["added"] == ["more"]
        # Another config's daemon is not named.
        other = run_cli("--config", str(tmp_path / "other.toml"), "add", site.url("/x"))
        assert other.returncode == 0 and "kill -HUP" not in other.stdout
    finally:
        assert run.stop() == 0
