"""Commands that take the history elsewhere: the Atom `feed`, `export git`, and `notify`
(what is due in the alert outbox)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from ..errors import ConfigError, DocwatchError
from .base import EXIT_FAILED, MATCH_HELP, Settings, _match, cli, known_source


@cli.command("feed")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (default stdout).")
@click.option("--source", "-s", help="Only this source.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=200, show_default=True, help="Newest changes to include.")
@click.option("--all", "show_all", is_flag=True, help="Include changes that do not alert.")
@click.option("--match", "-m", "match", multiple=True, callback=_match, metavar="TERM",
              help=MATCH_HELP)
@click.pass_obj
def feed_cmd(settings: Settings, output: str | None, source: str | None, limit: int,
             show_all: bool, match) -> None:
    """An Atom feed of recorded changes and status events (a page failing, gone, its content
    not readable or back); entry ids stay the same when it is regenerated.

    Regenerate it after each run, e.g. `docwatch feed -o /var/www/docwatch.xml`.
    """
    from ..feed import feed_of
    from ..web.links import change_links

    store = settings.store(create=False)
    xml = feed_of(store, source=known_source(store, source), limit=limit, match=match,
                  links=change_links(settings.load_config().run.base_url, settings.db_path),
                  alerts_only=not show_all)
    if output:
        _replace_whole(Path(output), xml)
    else:
        click.echo(xml.decode("utf-8"), nl=False)


def _replace_whole(path: Path, data: bytes) -> None:
    """Write `data` to a new file beside `path`, then rename it over `path`: readers see the
    old file or the new one, never half of one; a failed write leaves the old one."""
    tmp = None
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         delete=False) as f:
            tmp = Path(f.name)
            f.write(data)
        tmp.replace(path)
    except OSError as e:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise DocwatchError(f"{path}: cannot write the feed ({e.strerror or e}); the file "
                            "there is as it was") from None


@cli.group("export")
def export_group() -> None:
    """The history in a form anyone can read without docwatch."""


@export_group.command("git")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--source", "-s", "sources", multiple=True, metavar="NAME",
              help="Only this source (repeat for more) [default: all].")
@click.pass_obj
def export_git_cmd(settings: Settings, folder: Path, sources: tuple[str, ...]) -> None:
    """Write the history to a git repository in FOLDER: one Markdown file per source, one
    commit per version, dated when it was found, its alerts as the message.

    Run it again to add what is new (nothing else is written). FOLDER must be new, empty or
    a repository this command made; the repository can be pushed to any forge and read with
    `git log -p`.
    """
    from ..export import export_git

    store = settings.store(create=False)
    for name in sources:
        known_source(store, name)
    added = export_git(store, folder, list(sources) or None)
    click.echo(f"{folder}: {added} commit(s) added" if added else f"{folder}: nothing new")


@cli.command("notify")
@click.option("--test", "test", is_flag=True,
              help="Send a test message through each configured channel and report each result.")
@click.pass_obj
def notify_cmd(settings: Settings, test: bool) -> None:
    """Send what is due in the alert outbox now (or, with --test, a test message)."""
    from .. import notify
    from ..redact import channel_display

    if test:
        channels = [t.url for t in settings.load_config().notify]
        if not channels:
            raise ConfigError("no [[notify]] channel is configured to test")
        results = notify.send_test(channels)
        for channel, ok, error in results:
            click.echo(f"{'sent  ' if ok else 'FAILED'}  {channel_display(channel)}"
                       + (f"  {error}" if error else ""))
        if not all(ok for _, ok, _ in results):
            sys.exit(EXIT_FAILED)
        return
    config = settings.load_config()
    counts = notify.deliver_pending(settings.store(), config.notify, base_url=config.run.base_url)
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing due")
    if counts.get("failed") or counts.get("abandoned"):
        sys.exit(EXIT_FAILED)
