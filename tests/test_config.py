"""Config: built-in sources without a file; a bad file names file, field and reason; exit 2."""

from __future__ import annotations

import pytest

from docwatch.config import BUILTIN_SOURCES, load
from docwatch.errors import ConfigError

from .conftest import run_cli


def test_no_config_file_means_the_two_ministry_pages(tmp_path):
    config = load(tmp_path / "docwatch.toml")
    assert [s.name for s in config.sources] == ["urm-nato", "kam-non-nato"]
    assert config.sources == BUILTIN_SOURCES
    assert "urm.lt/en/lithuanias-security-policy" in config.sources[0].url


def test_spec_example_loads(write_config):
    path = write_config("""
[[source]]
name = "urm-nato"
url = "https://www.urm.lt/en/x/995"
every = "6h"
content = "div.text"
exclude = [".share", "#calendar"]
ignore = ['Visitors: \\d+']
alert = { moved = true }

[[source]]
name = "kam"
url = "http://www.mond.gov.lt/en/x.html"
cron = "0 7 * * 1-5"

[[notify]]
url = "json://127.0.0.1:8080/hooks/docwatch"
sources = ["urm-nato"]
categories = ["new_entry", "revised_figure"]
min_significance = 0.5
""")
    config = load(path, required=True)
    urm, kam = config.sources
    assert urm.rules.content == "div.text" and urm.rules.exclude == (".share", "#calendar")
    assert urm.alert == {"moved": True}
    assert kam.cron == "0 7 * * 1-5"
    assert config.notify[0].categories == ("new_entry", "revised_figure")


@pytest.mark.parametrize("body, message", [
    ('[[source]]\nname = "a"\nurl = "ftp://x"', "source 'a': url: 'ftp://x' is not an http(s) URL"),
    ('[[source]]\nname = "a"\nurl = "http://x"\nevery = "6x"',
     "source 'a': every: '6x' is not a duration like '30m', '6h' or '1d'"),
    ('[[source]]\nurl = "http://x"', "source[0]: name: missing"),
    ('[[source]]\nname = "a"\nurl = "http://x"\ncron = "61 * * * *"', "source 'a': cron: '61 * * * *'"),
    ('[[source]]\nname = "a"\nurl = "http://x"\ncontent = "div[["', "source 'a': content: 'div[['"),
    ('[[source]]\nname = "a"\nurl = "http://x"\nignore = ["("]', "source 'a': ignore: '('"),
    ('[[source]]\nname = "a"\nurl = "http://x"\ncolour = 1', "source[0]: unknown field 'colour'"),
    ('[[source]]\nname = "a"\nurl = "http://x"\n[[notify]]\nurl = "json://h"\ndigest = "weekly"',
     "notify[0]: digest: must be one of immediate, hourly, daily"),
    ('[[source]\nname = "a"', "not valid TOML"),
])
def test_bad_config_names_file_field_and_reason(write_config, body, message):
    path = write_config(body)
    with pytest.raises(ConfigError) as e:
        load(path, required=True)
    assert str(e.value).startswith(str(path))
    assert message in str(e.value)


def test_cli_reports_a_bad_config_in_one_line_with_exit_2(write_config, tmp_path):
    path = write_config('[[source]]\nname = "a"\nurl = "http://x"\nevery = "often"')
    result = run_cli("--db", str(tmp_path / "x.db"), "--config", str(path), "fetch", "--once")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"docwatch: config error: {path}: source 'a': every: 'often' is not a duration like "
        "'30m', '6h' or '1d'"]
    assert not (tmp_path / "x.db").exists()


def test_an_explicit_config_that_does_not_exist_is_an_error(tmp_path):
    result = run_cli("--config", str(tmp_path / "missing.toml"), "sources")
    assert result.returncode == 2
    assert "missing.toml: file not found" in result.stderr
