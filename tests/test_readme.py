"""The README and the pages of docs/ stay true: their examples' outputs, their configs, and
CI runs the README's test command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))}
# A command, then what it prints: on every page that shows one.
EXAMPLES = [(page, command, out) for page, text in DOCS.items()
            for command, out in re.findall(r"```bash\n(.+?)\n```\n```\n(.*?)\n```", text, re.DOTALL)]


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick)
    assert len(commands) == 2
    assert commands[0].endswith("docwatch demo")
    ci = (ROOT / ".ci/run").read_text()
    assert commands[1] in ci.splitlines()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    where = tmp_path_factory.mktemp("cookbook")
    assert run_cli("demo", cwd=where).returncode == 0
    return where


def test_the_readme_is_short_and_links_every_page_of_the_docs():
    assert len(README.splitlines()) <= 200
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    assert linked == set(DOCS)


def test_cookbook_has_enough_questions():
    assert sum(page == "cookbook.md" for page, _, _ in EXAMPLES) >= 8


@pytest.mark.parametrize("page, command, expected", EXAMPLES,
                         ids=[f"{p}: {c[:50]}" for p, c, _ in EXAMPLES])
def test_an_example_prints_what_its_page_shows(demo_dir, page, command, expected):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(command, shell=True, executable="/bin/bash", cwd=demo_dir, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip() == expected.rstrip()


def test_readme_config_example_is_valid(tmp_path):
    from docwatch.config import load

    example = re.search(r"```toml\n(.+?)\n```", DOCS["configuration.md"], re.DOTALL).group(1)
    path = tmp_path / "docwatch.toml"
    path.write_text(example, encoding="utf-8")
    config = load(path, required=True)
    assert config.sources[0].rules.ignore == (r"Visitors today: \d+",)
    assert config.notify[0].url.startswith("json://")


def test_each_command_and_option_the_readme_lists_is_in_the_cli_help():
    usage = README.split("## Using it", 1)[1].split("```\n", 2)[1]
    listed = re.findall(r"^  (\w+)(.*?)(?:   |$)", usage, re.MULTILINE)
    assert len(listed) >= 11
    top = run_cli("--help").stdout
    for command, args in listed:
        assert re.search(rf"^  {command}\s", top, re.MULTILINE), command
        sub = re.match(r"\s*([a-z]+)\b(?![|-])", args)  # a group's command: "export git"
        own = run_cli(command, *([sub.group(1)] if sub else []), "--help")
        assert own.returncode == 0, (command, args)
        for option in re.findall(r"(--?[\w-]+)", args):
            assert option in own.stdout, (command, option)


def test_the_readmes_short_config_loads(tmp_path):
    from docwatch.config import load

    example = re.search(r"```toml\n(.+?)\n```", README, re.DOTALL).group(1)
    path = tmp_path / "docwatch.toml"
    path.write_text(example, encoding="utf-8")
    config = load(path, required=True)
    assert [s.name for s in config.sources] == ["urm-nato"]
    assert config.notify[0].match == ("Ukrain*", '"Vilnius summit"')


def test_readme_network_example_is_valid(tmp_path):
    """The operator's network section: its config loads to what its comments say."""
    import trustme

    from docwatch.config import load

    example = re.search(r"```toml\n(.+?)\n```", DOCS["network.md"], re.DOTALL).group(1)
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "ministry-ca.pem"))
    path = tmp_path / "docwatch.toml"
    path.write_text(example, encoding="utf-8")
    config = load(path, required=True)
    fetch, [source] = config.fetch, config.sources
    assert fetch.ca_bundle == str(tmp_path / "ministry-ca.pem")
    assert fetch.no_proxy == ("intranet.example", "10.0.0.0/8")
    assert fetch.allow.refuses("wiki.intranet.example", "192.168.1.1") is None
    assert source.proxy == "http://127.0.0.1:3129"
    from docwatch.proxies import Proxies

    proxies = Proxies.from_environment(fetch.proxy, fetch.no_proxy)
    assert proxies.for_url("https://www.urm.lt/") == fetch.proxy
    assert proxies.for_url("http://10.1.2.3/") is None
    assert proxies.for_url("https://plans.intranet.example/", source.proxy) == source.proxy
