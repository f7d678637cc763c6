"""Commands that change the config: `import` another tool's list, `add` one page."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from .base import Settings, cli


@cli.command("import")
@click.argument("tool", type=click.Choice(["urlwatch", "changedetection"]))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Print the [[source]] tables (secrets masked) and write nothing.")
@click.pass_obj
def import_cmd(settings: Settings, tool: str, path: Path, dry_run: bool) -> None:
    """Add the pages urlwatch or changedetection.io watches to the config.

    PATH is urlwatch's urls.yaml, or changedetection.io's datastore folder, its
    url-watches.json or the backup ZIP its UI downloads. Each job becomes a [[source]] table
    appended to the config (--config, default ./docwatch.toml, made if missing), never a
    second source of a name or URL already there; what does not carry over is listed job by
    job, with why. A malformed file is one line and exit 2, and nothing is written.
    """
    from ..config import parse_config
    from ..importing import append, fit, plan, read, report

    imported = read(tool, path)
    config, existing = _sources_in(settings)
    adding, notes = plan(imported, existing)
    skipped = imported.skipped + fit(adding, parse_config)
    click.echo(report(adding, skipped, notes, dry_run=dry_run))
    if dry_run or not adding:
        click.echo(f"# {len(adding)} source(s) to add to {config}, {len(skipped)} job(s) not "
                   f"imported{' (dry run: nothing written)' if dry_run else ''}")
        return
    append(config, adding, f"imported from {imported.tool} ({path.name})", parse_config)
    click.echo(f"# {len(adding)} source(s) added to {config}, {len(skipped)} job(s) not imported")
    _say_how_to_reload(config)


@cli.command("add")
@click.argument("url")
@click.option("--name", help="The source's name [default: from the URL's host and path].")
@click.option("--every", metavar="DURATION", help="Check it this often (30m, 6h, 1d) [default: 6h].")
@click.option("--cron", metavar="CRONTAB", help="Check it on this schedule instead ('0 7 * * 1-5').")
@click.option("--content", metavar="SELECTOR",
              help="Its main content: a CSS selector, or xpath:… [default: found by docwatch].")
@click.option("--render", type=click.Choice(["browser"]),
              help="Draw it in a browser first: its text is drawn by JavaScript.")
@click.option("--match", "-m", "match", multiple=True, metavar="TERM",
              help="Alert only on its changes mentioning TERM (repeat: any of them).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag for [[notify]] filters.")
@click.option("--dry-run", is_flag=True,
              help="Print the [[source]] table (secrets masked) and write nothing.")
@click.pass_obj
def add_cmd(settings: Settings, url: str, name: str | None, every: str | None,
            cron: str | None, content: str | None, render: str | None, match: tuple[str, ...],
            tags: tuple[str, ...], dry_run: bool) -> None:
    """Watch one more page: append its [[source]] table to the config.

    The table is checked as the config loads it (a bad duration, schedule or selector is one
    line and exit 2) and the config is left as it was if it would not load, or if the URL is
    already watched. When `docwatch run` reads this config, says how to make it load the page.
    """
    from ..config import parse_config
    from ..importing import Imported, Watch, append, name_for, plan, toml
    from ..redact import source_url

    config, existing = _sources_in(settings)
    if same := next((s for s in existing if s.get("url") == url), None):
        raise UsageError(f"{source_url(url)} is already watched, as source {same.get('name')!r}; "
                         f"{config} is unchanged")
    if name and any(s.get("name") == name for s in existing):
        raise UsageError(f"a source named {name!r} is already in {config}; it is unchanged")
    options = {"every": every, "cron": cron, "content": content, "render": render,
               "match": list(match), "tags": list(tags)}
    table = {"name": name or name_for(None, url), "url": url,
             **{k: v for k, v in options.items() if v}}
    [watch], _ = plan(Imported("add", [Watch(url, table)]), existing)
    parse_config({"source": [watch.table]}, config)  # its own faults, named, before any write
    if dry_run:
        click.echo(toml([watch], shown=True))
        click.echo(f"# dry run: nothing written to {config}")
        return
    append(config, [watch], f"added by docwatch add ({_today()})", parse_config)
    click.echo(f"added source {watch.table['name']!r} to {config}")
    _say_how_to_reload(config)


def _sources_in(settings: Settings) -> tuple[Path, list[dict]]:
    """The config file to append to (made if missing) and the source tables it holds; a
    broken config stops the command, as it stops every command."""
    import tomllib

    config = Path(settings.config or "docwatch.toml")
    before = config.read_text(encoding="utf-8") if config.exists() else ""
    if before:
        settings.load_config()
    return config, tomllib.loads(before).get("source", []) if before else []


def _today() -> str:
    from datetime import date

    return date.today().isoformat()


def _say_how_to_reload(config: Path) -> None:
    """A `docwatch run` reading `config` loads it again on SIGHUP: say so, with its pid."""
    from ..running import daemons_reading

    for pid in daemons_reading(config):
        click.echo(f"docwatch run (pid {pid}) reads {config}: `kill -HUP {pid}` makes it load "
                   "the change")
