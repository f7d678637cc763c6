"""The command line: a thin click layer over `pipeline` and `store`."""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from . import __version__
from .errors import ConfigError, DocwatchError, UsageError
from .demo.apps import SHAPES
from .models import CATEGORIES, CheckResult, ParseRules

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
        from .config import load

        path = self.config or "docwatch.toml"
        config = load(path, required=self.config is not None)
        if announce and self.config is None and not Path(path).exists():
            names = ", ".join(s.name for s in config.sources)
            click.echo(f"docwatch: no {path} here (or --config): watching the built-in "
                       f"ministry pages ({names})", err=True)
        return config

    def store(self, *, create: bool = True):
        """The database; read-only commands (`create=False`) never make one at a mistyped path."""
        from .store import Store

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
    from .times import parse_when

    if value is None or (param.name == "at" and value.isdigit()):  # --at also takes a snapshot id
        return value
    try:
        return parse_when(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _match(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]):
    """--match: terms as `[[notify]] match` takes them, else exit 2."""
    from .matching import BadTerm, Terms

    try:
        return Terms.of(value) if value else None
    except BadTerm as e:
        raise click.BadParameter(str(e)) from None


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


@cli.command("fetch")
@click.option("--once", is_flag=True, required=True,
              help="Check now, once (for schedules use `docwatch run`).")
@click.option("-v", "--verbose", is_flag=True,
              help="On a terminal, list every page checked, not only those that changed or failed.")
@click.option("--timings", is_flag=True,
              help="Also say, on stderr, where the time went: fetch, parse and diff summed over "
                   "the checks, store in the database writer.")
@click.argument("sources", nargs=-1)
@click.pass_obj
def fetch_cmd(settings: Settings, once: bool, verbose: bool, timings: bool,
              sources: tuple[str, ...]) -> None:
    """Check every configured page (or just SOURCES) now and print what changed.

    On a terminal a progress bar counts the checks; then the pages that changed or failed
    are listed (all with -v), and a summary line ends the run. Piped, every page gets a
    line, then the summary. Ctrl-C stops starting checks, lets the running ones be recorded
    and prints the summary of what was (exit 130).
    """
    from .pipeline import Timings, check_all
    from .progress import Tally, bar, interruptible

    config = settings.load_config(announce=True)
    chosen = config.select(sources)
    store = settings.store()
    tally, spent = Tally(len(chosen)), Timings()
    terminal = sys.stdout.isatty()
    with interruptible() as stop, bar(tally, enabled=terminal) as add:
        results = check_all(chosen, store, targets=config.notify, settings=config.fetch,
                            base_url=config.run.base_url,
                            tz=config.timezone, on_result=add, stop=stop, timings=spent)
    _report(results, store, quiet=terminal and not verbose, explain=verbose)
    store.checkpoint()
    store.close()  # the last connection: the write-ahead log is folded in, one file is left
    # The run is over: what is alive now is frozen, so the interpreter's last collection does
    # not walk it all to free what the process's end frees anyway (40 ms of a 1,000-page run).
    gc.freeze()
    click.echo(tally.summary(interrupted=stop.is_set()))
    if timings:
        click.echo(f"docwatch: time in {spent.line()}", err=True)
    if stop.is_set():
        sys.exit(130)
    if any(not r.ok for r in _with_documents(results)):
        sys.exit(EXIT_FAILED)


def _report(results: list[CheckResult], store, *, quiet: bool = False,
            explain: bool = False) -> None:
    """Each result: failures on stderr, alerts rendered; `quiet` leaves out pages with nothing
    to tell; `explain` says which rule chose a page's content when the usual one did not."""
    from . import render

    for r in _with_documents(results):
        if explain and r.ok:
            for rule in _content_rules(store, r):
                click.echo(f"{r.source}: content: {rule}")
        for event in r.events:  # what happened to the page, said even when quiet
            click.echo(f"{r.source}: {render.STATUS[event.event]}: {event.detail}")
        if not r.ok or r.error:  # a failure; or, for a page read, what it could not reach
            click.echo(f"docwatch: {r.source}: {r.error} [{r.error_kind}]", err=True)
        if not r.ok:
            continue
        if r.alerts:
            quiet_changes = len(r.changes) - len(r.alerts)
            note = f" (+{quiet_changes} recorded without alert)" if quiet_changes else ""
            info = store.snapshot_info(r.snapshot_id or store.snapshot_at(r.source))
            title, body = render.text([render.Page(r.source, info["title"], info["url"], r.alerts)])
            _print_alert(title + note, body)
        elif not quiet:
            click.echo(f"{r.source}: {_NO_ALERT.get(r.status, r.status)}".format(n=len(r.changes)))


def _content_rules(store, r: CheckResult) -> list[str]:
    """Why the page's content is what it is, where the usual rule did not decide it."""
    try:
        info = store.snapshot_info(r.snapshot_id or store.snapshot_at(r.source))
    except DocwatchError:  # a store error: no snapshot to explain
        return []
    metadata = json.loads(info["metadata"] or "{}")
    return [metadata[k] for k in ("content_selector", "content_rule") if k in metadata]


def _with_documents(results: list[CheckResult]):
    """Each result, followed by those of the documents its page links to."""
    for r in results:
        yield r
        yield from r.documents


_NO_ALERT = {
    "new": "first snapshot recorded",
    "changed": "{n} change(s) recorded, none alerting",
    "noise_only": "no change (only counters, dates or markup differed)",
    "unchanged": "no change",
}


def _print_alert(title: str, body: str) -> None:
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


@cli.command("changes")
@click.option("--source", "-s", help="Only this source.")
@click.option("--since", callback=_when, metavar="WHEN",
              help="Only changes detected since then: 2024-03-01, 2024-03-01T09:30 (UTC) or 7d.")
@click.option("--category", "-c", type=click.Choice(CATEGORIES), help="Only this category.")
@click.option("--all", "show_all", is_flag=True, help="Include changes that do not alert.")
@click.option("--status", "with_status", is_flag=True,
              help="Also list status events: a page failing, gone, its content not readable "
                   "or back (always in --json, as \"status\").")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="At most this many, newest first.")
@click.option("--match", "-m", "match", multiple=True, callback=_match, metavar="TERM",
              help=MATCH_HELP)
@click.option("--json", "as_json", is_flag=True,
              help='Print {"changes": [...], "status": [...]} per the contract.')
@click.pass_obj
def changes_cmd(settings: Settings, source, since, category, show_all, with_status, limit,
                match, as_json) -> None:
    """List recorded changes, newest first (alerting ones unless --all)."""
    from .times import day_start

    store = settings.store(create=False)
    source, since = known_source(store, source), since and day_start(since)
    rows = store.changes(source=source, since=since, category=category,
                         alerts_only=not show_all, limit=limit, match=match)
    events = store.events(source=source, since=since, limit=limit) \
        if (with_status or as_json) and not match else []  # an event mentions no words
    if as_json:
        _print_json([{**c.to_dict(), **meta} for meta, c in rows], status=events)
        return
    if not rows and not events:
        click.echo("no changes recorded"
                   + (" matching the filters" if source or since or category or match else ""))
        return
    from .render import LABELS, STATUS, figures_line, quote

    lines = [(meta["detected_at"], meta["id"], c) for meta, c in rows] + [
        (e["at"], e["id"], e) for e in events]
    for at, _, item in sorted(lines, key=lambda line: line[:2], reverse=True):
        if isinstance(item, dict):  # a status event
            click.echo(f"{at[:10]}  {item['source']}  {STATUS[item['event']]}")
            click.echo(f"            {item['detail']}")
            continue
        where = " › ".join(item.section) + (f" › {item.locator}" if item.locator else "")
        figs = figures_line(item)
        click.echo(f"{at[:10]}  {item.source}  {LABELS.get(item.category, item.category)}  "
                   f"{where}" + (f"  {figs}" if figs else ""))
        click.echo(f"            {quote(item)}")


def _language_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .locales import known_language

    if value is not None and not known_language(value):
        raise click.BadParameter(f"{value!r} is not a language code CLDR knows (e.g. 'lt', 'de')")
    return value


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help='Print {"changes": [...]} per the contract.')
@click.option("--all", "show_all", is_flag=True, help="Also show changes that do not alert.")
@click.option("--lang", callback=_language_option,
              help="Read dates and figures in this language (lt, de, fr, …), whatever <html lang> says.")
def diff_cmd(old: str, new: str, as_json: bool, show_all: bool, lang: str | None) -> None:
    """Compare two versions of a page, given as files or URLs."""
    from . import render
    from .pipeline import diff_targets

    changes = diff_targets(old, new, lang=lang)
    if as_json:
        _print_json([c.to_dict() for c in changes])
        return
    shown = changes if show_all else [c for c in changes if c.alert]
    if not shown:
        click.echo(f"no alerting change ({len(changes)} recorded without alert)")
        return
    title, body = render.text([render.Page(None, Path(new).name, None, shown)])
    _print_alert(title, body)


def _print_json(changes: list[dict], status: list[dict] | None = None) -> None:
    out: dict = {"changes": changes}
    if status is not None:
        out["status"] = status
    click.echo(json.dumps(out, ensure_ascii=False, indent=1))


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
    import tomllib

    from .config import parse_config
    from .importing import append, fit, plan, read, report

    imported = read(tool, path)
    config = Path(settings.config or "docwatch.toml")
    before = config.read_text(encoding="utf-8") if config.exists() else ""
    if before:
        settings.load_config()  # a broken config stops the import, as it stops every command
    existing = tomllib.loads(before).get("source", []) if before else []
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
    import tomllib

    from .config import parse_config
    from .importing import Imported, Watch, append, name_for, plan, toml
    from .redact import source_url

    config = Path(settings.config or "docwatch.toml")
    before = config.read_text(encoding="utf-8") if config.exists() else ""
    if before:
        settings.load_config()  # a broken config stops it, as it stops every command
    existing = tomllib.loads(before).get("source", []) if before else []
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


def _today() -> str:
    from datetime import date

    return date.today().isoformat()


def _say_how_to_reload(config: Path) -> None:
    """A `docwatch run` reading `config` loads it again on SIGHUP: say so, with its pid."""
    from .running import daemons_reading

    for pid in daemons_reading(config):
        click.echo(f"docwatch run (pid {pid}) reads {config}: `kill -HUP {pid}` makes it load "
                   "the change")


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
    from .feed import atom

    store = settings.store(create=False)
    rows = store.changes(source=known_source(store, source), alerts_only=not show_all,
                         limit=limit, match=match)
    from .web.links import change_links

    # status events go where alerts are; they mention no words
    events = [] if match else store.events(source=source, limit=limit)
    xml = atom(rows, source=source, events=events,
               links=change_links(settings.load_config().run.base_url, settings.db_path),
               terms=tuple(t.text for t in match.terms) if match else ())
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
    from .export import export_git

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
    from . import notify
    from .redact import channel_display

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


@cli.command("sources")
@click.pass_obj
def sources_cmd(settings: Settings) -> None:
    """A status table: each source's schedule, next and last check, result, changes.

    "next check" is what a running `docwatch run` has scheduled. Sources that are in the
    database but no longer configured are listed too.
    """
    from rich.console import Console
    from rich.table import Table

    from .redact import source_url

    status = settings.store(create=False).status() if _db_given_or_made(settings) else {}
    config = settings.load_config(announce=True)
    table = Table(box=None, pad_edge=False)
    for column in ("source", "schedule", "next check", "last check", "result", "changes",
                   "versions"):
        table.add_column(column, no_wrap=column != "result")
    table.add_column("url", overflow="fold")
    configured = {s.name: s for s in config.sources}
    for name in [*configured, *sorted(set(status) - set(configured))]:
        s, st = configured.get(name), status.get(name, {})
        parent = st.get("parent")
        schedule = ((s.cron or f"every {s.every or '6h'}") if s
                    else f"with {parent}" if parent in configured else "(not configured)")
        result = st.get("result") or "never checked"
        if st.get("error") and result != "error":  # read, but part of it was refused
            result = f"{result}; [yellow]{st['error_kind']}[/]: {st['error']}"
        elif st.get("error"):
            result = f"[red]{st['error_kind']}[/]: {st['error']}"
            if st["failing"] > 1:
                result += f" ({st['failing']} checks in a row)"
        table.add_row(name, schedule, _minute(st.get("next_run")), _minute(st.get("last_check")),
                      result,
                      str(st.get("changes", 0)), str(st.get("versions", 0)),
                      source_url(s.url) if s else st.get("url", ""))
    console = Console()
    if not console.is_terminal:  # a pipe or a log: do not wrap at 80 columns
        console = Console(width=200)
    console.print(table)


def _db_given_or_made(settings: Settings) -> bool:
    """A database named with --db must exist; the default one may not yet (nothing checked)."""
    return settings.db is not None or Path(settings.db_path).exists()


def _minute(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


@cli.command("history")
@click.argument("source")
@click.option("--section", "-S", help="Only sections whose heading path contains this text.")
@click.option("--text", "show_text", is_flag=True, help="Print each version's full text.")
@click.pass_obj
def history_cmd(settings: Settings, source: str, section: str | None, show_text: bool) -> None:
    """How SOURCE's sections changed: each version's dates and the changes that made it."""
    from .render import LABELS, quote

    store = settings.store(create=False)
    versions = store.section_versions(known_source(store, source), section)
    if not versions:
        store.snapshot_at(source)  # says "unknown source" or "no snapshot" when that is why
        raise DocwatchError(f"{source}: no section matches {section!r}")
    changes: dict[int, list] = {}
    for meta, c in store.changes(source=source, alerts_only=False, oldest_first=True):
        changes.setdefault(meta["snapshot_id"], []).append(c)
    first = versions[0]["snapshot_id"]
    stamp = _stamps([t for v in versions for t in (v["valid_from"], v["valid_to"]) if t])
    for v in versions:
        path = json.loads(v["path"])
        until = stamp(v["valid_to"]) if v["valid_to"] else "now"
        click.secho(f"{stamp(v['valid_from'])} → {until}  {' › '.join(path) or '(top)'}", bold=True)
        if v["snapshot_id"] == first:
            click.echo("    first recorded")
        for c in changes.get(v["snapshot_id"], []):
            if c.section[:len(path)] == path and (len(c.section) > len(path) or c.kind != "moved"):
                where = " › ".join([*c.section[len(path):], *([c.locator] if c.locator else [])])
                click.echo(f"    {LABELS.get(c.category, c.category)}"
                           + (f" › {where}" if where else "") + f": {quote(c)}")
        if show_text:
            click.echo("".join(f"    | {line}\n" for line in v["text"].splitlines()), nl=False)


def _stamps(times: list[str]):
    """A formatter of stored times: the day, or day and minute where two differ on one day."""
    days: dict[str, set[str]] = {}
    for t in times:
        days.setdefault(t[:10], set()).add(t)
    return lambda t: t[:10] if len(days.get(t[:10], ())) < 2 else t[:16].replace("T", " ")


@cli.command("show")
@click.argument("source")
@click.option("--at", callback=_when, metavar="WHEN",
              help="A date (2024-03-01: as it was that day's end), an ISO time (UTC unless it "
                   "says), an age (7d) or a snapshot id [default: latest].")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@click.option("--change", "change_id", type=click.IntRange(min=1), metavar="ID",
              help="The version this change (an id from `changes --json` or the change feed) "
                   "was found in.")
@click.option("--html", "as_html", is_flag=True,
              help="Print the version as one self-contained HTML page, its changes marked in "
                   "place (the Datasette plugin's change-in-context page).")
@click.pass_obj
def show_cmd(settings: Settings, source: str, at: str | None, as_json: bool,
             change_id: int | None, as_html: bool) -> None:
    """The page's sections as they were at a date (or now), from the store.

    With --html, the stored page itself, as it read in that version, with the changes found
    in it marked where they happened; nothing of the watched page can run in it:

        docwatch show urm-nato --change 11 --html > change.html
    """
    if as_json and as_html:
        raise UsageError("--json, --html: give one")
    if change_id and at:
        raise UsageError("--change, --at: give one (a change names its version)")
    store = settings.store(create=False)
    known_source(store, source)
    if change_id:
        found = store.changes(ids=[change_id], alerts_only=False, source=source)
        if not found:
            raise UsageError(f"--change {change_id}: no change of {source} has that id "
                             f"(`docwatch changes -s {source} --all --json` lists them)")
        snapshot_id = found[0][0]["snapshot_id"]
    else:
        snapshot_id = store.snapshot_at(source, at)
    if as_html:
        from .web import views
        from .web.links import change_links

        config = settings.load_config()
        configured = {s.name: s for s in config.sources}
        base = config.run.base_url
        links = change_links(base, settings.db_path)
        rules = configured[source].rules if source in configured else ParseRules()
        click.echo(views.snapshot_page(store, snapshot_id, links, focus=change_id, rules=rules))
        return
    info, doc = store.snapshot_info(snapshot_id), store.document(snapshot_id)
    if as_json:
        click.echo(json.dumps({"snapshot_id": snapshot_id, "taken_at": info["taken_at"],
                               "url": info["url"], **doc.to_dict()}, ensure_ascii=False, indent=1))
        return
    click.secho(f"{doc.title or source}", bold=True)
    click.echo(f"{info['url']}  (snapshot {snapshot_id}, {info['taken_at']})")
    for s in doc.sections:
        if s.path:
            click.echo()
            click.secho(f"{'#' * min(len(s.path), 6)} {s.heading}", bold=True)
        for b in s.blocks:
            click.echo(f"{b.date} — {b.text}" if b.date else f"{'• ' if b.kind == 'item' else ''}{b.text}")


@cli.command("reparse")
@click.argument("sources", nargs=-1)
@click.pass_obj
def reparse_cmd(settings: Settings, sources: tuple[str, ...]) -> None:
    """Rebuild sections and changes from the stored raw HTML with today's parser and rules.

    Run it after upgrading docwatch or changing a source's `content`, `exclude` or `ignore`.
    Idempotent: a second run changes nothing. The fetch log, raw pages and sent alerts stay.
    """
    from .models import Source
    from .pipeline import reparse

    store = settings.store(create=False)
    configured = {s.name: s for s in settings.load_config().sources}
    names = sources or tuple(store.source_names())
    for name in names:
        known_source(store, name)
        source = configured.get(name) or Source(name=name, url="")
        rebuilt = reparse(source, store)
        versions = len(store.snapshots_of(name))
        click.echo(f"{name}: {versions} version(s) " + ("rebuilt" if rebuilt else "already current"))


@cli.command("run")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines on stderr: readable text or one JSON object each.")
@click.pass_obj
def run_cmd(settings: Settings, log_format: str) -> None:
    """Keep checking every source on its schedule until stopped.

    Each source runs on its `every` or `cron`, one check of it at a time. At start, sources
    whose last check (from the database) is older than their interval are checked soon,
    spread over `[run] catch_up`; the others keep their rhythm. SIGHUP reloads the config
    (a broken file keeps the running schedule); SIGINT/SIGTERM stop within `[run] grace`
    seconds. Logs a heartbeat every `[run] heartbeat`.
    """
    from . import logs
    from .schedules import run

    logs.setup(log_format)
    config = settings.load_config(announce=True)
    settings.store().close()  # create or upgrade the database before any check
    run(config, settings.db_path, settings.load_config)


@cli.command("demo")
@click.option("--db", "demo_db", type=click.Path(dir_okay=False),
              help="Where to write the demo database [default: the global --db, else demo.db].")
@click.option("--shape", type=click.Choice(SHAPES), default="document", show_default=True,
              help="Serve the pages as documents, or rebuilt as apps: boxes with ARIA roles "
                   "(roles), or with only bold, larger type for headings (styled), under class "
                   "names generated anew for each version.")
@click.pass_obj
def demo_cmd(settings: Settings, demo_db: str | None, shape: str) -> None:
    """Replay the bundled history of both ministry pages offline (writes demo.db).

    Serves every dated version on 127.0.0.1, runs the real pipeline over them in order,
    prints the alerts, and shows sqlite-utils commands to explore the result. It replaces
    only a database an earlier demo made; any other file at that path is left alone (exit 2).
    Each --shape gives the same alerts.
    """
    from .demo.replay import run_demo
    from .store import made_by

    db = writable_path(demo_db or settings.db or "demo.db")
    if os.path.exists(db):
        if "demo" not in made_by(db):
            raise UsageError(f"{db}: exists and was not made by `docwatch demo`; it is left "
                             "alone (give the demo another path: --db demo.db)")
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)
    run_demo(db, echo=_demo_echo, shape=shape)


def _demo_echo(kind: str, *parts) -> None:
    if kind == "step":
        click.secho(parts[0], bold=True)
    elif kind == "results":
        results, store = parts
        _report(results, store)
    else:
        click.echo(parts[0])


def main() -> None:  # pragma: no cover - the console script
    from . import memory

    memory.tune()
    cli(prog_name="docwatch")
