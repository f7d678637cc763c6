"""The `docwatch` group and what its commands share: the settings (--db, --config), the
paths they may touch, option callbacks, and expected faults as one line and an exit code."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from .. import __version__
from ..errors import ConfigError, DocwatchError, UsageError


EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class Settings:
    db: str | None
    config: str | None

    @property
    def db_path(self) -> str:
        return self.db or "docwatch.db"

    def load_config(self, *, announce: bool = False):
        """The config; `announce` says on stderr when the built-in pages stand in for one."""
        from ..config import load

        path = self.config or "docwatch.toml"
        config = load(path, required=self.config is not None)
        if announce and self.config is None and not Path(path).exists():
            names = ", ".join(s.name for s in config.sources)
            click.echo(f"docwatch: no {path} here (or --config): watching the built-in "
                       f"ministry pages ({names})", err=True)
        return config

    def store(self, *, create: bool = True):
        """The database; read-only commands (`create=False`) never make one at a mistyped path."""
        from ..store import Store

        return Store(writable_path(self.db_path) if create else existing_path(self.db_path))


def existing_path(db: str) -> str:
    if not Path(db).is_file():
        raise UsageError(f"{db}: no docwatch database there (check --db or DOCWATCH_DB; "
                         "`docwatch fetch --once` makes one)")
    return db


def writable_path(db: str) -> str:
    """`db`, if a database can be there; else one line saying why not."""
    path = Path(db)
    folder = path.parent
    if path.is_dir():
        raise UsageError(f"{db}: is a directory, not a database file")
    if not folder.is_dir():
        raise UsageError(f"{db}: the directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{db}: the directory {folder} is not writable")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"{db}: the file is read-only")
        return db
    try:  # os.access says yes to root everywhere; a read-only mount says no only when tried
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise UsageError(f"{db}: cannot create a file in {folder} ({e.strerror})") from None
    return db


def known_source(store, source: str | None) -> str | None:
    """`source` if the database has it; else a usage error that lists what it has."""
    if source is None or store.has_source(source):
        return source
    names = store.source_names()
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    raise UsageError(f"{source}: unknown source in {store.path}"
                     + (f" (it has: {shown})" if names else " (it has none yet)"))


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--since/--at: a date, an ISO time or an age, else exit 2."""
    from ..times import parse_when

    if value is None or (param.name == "at" and value.isdigit()):  # --at also takes a snapshot id
        return value
    try:
        return parse_when(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _match(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]):
    """--match: terms as `[[notify]] match` takes them, else one line and exit 2."""
    from ..matching import BadTerm, Terms

    try:
        return Terms.of(value) if value else None
    except BadTerm as e:
        raise UsageError(f"--match: {e}") from None


MATCH_HELP = ('Only changes mentioning TERM (repeat: any of them): words, "a phrase", a stem '
              "(Ukrain*); case and diacritics do not count.")


class _Group(click.Group):
    """Expected faults become one line on stderr and an exit code; no traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            click.echo(f"docwatch: config error: {e}", err=True)
            ctx.exit(EXIT_USAGE)
        except UsageError as e:
            click.echo(f"docwatch: {e}", err=True)
            ctx.exit(EXIT_USAGE)
        except DocwatchError as e:
            click.echo(f"docwatch: {e}", err=True)
            ctx.exit(EXIT_FAILED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docwatch")
@click.option("--db", envvar="DOCWATCH_DB", type=click.Path(dir_okay=False),
              help="SQLite database [env DOCWATCH_DB; default ./docwatch.db].")
@click.option("--config", envvar="DOCWATCH_CONFIG", type=click.Path(dir_okay=False),
              help="TOML config [env DOCWATCH_CONFIG; default ./docwatch.toml; without one, "
                   "the two built-in ministry pages].")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None) -> None:
    """Watch ministry web pages and report, in an analyst's terms, what changed.

    Read-only commands (changes, history, show, feed, sources, reparse) never create a
    database. WHEN (--since, --at) is a date (2024-03-01), an ISO time (2024-03-01T09:30,
    UTC unless it says) or an age (7d, 12h).

    Exit codes: 0 ran, 1 some source failed, 2 usage or config error (a bad argument, an
    unknown source, a missing database), 130 interrupted.
    """
    ctx.obj = Settings(db, config)
    logging.basicConfig(level=logging.WARNING, format="docwatch: %(message)s")


def _language_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..locales import known_language

    if value is not None and not known_language(value):
        raise click.BadParameter(f"{value!r} is not a language code CLDR knows (e.g. 'lt', 'de')")
    return value


def _print_alert(title: str, body: str) -> None:
    """An alert as `fetch` and `diff` print it: styled on a terminal, plain in a pipe."""
    if not sys.stdout.isatty():  # a log or a pipe: the same lines, without styling work
        click.echo(f"{title}\n{body}\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    console.print(Text(title, style="bold"))
    styles = {"+": "green", "-": "red", "~": "yellow", ">": "cyan", "·": "dim"}
    for line in body.splitlines():
        console.print(Text(line, style=styles.get(line[:1], "")))
    console.print()
