"""Commands that check pages: `fetch --once`, `run`, `demo`, `reparse`, and `sources`, the
status of every check; with how a check's results are reported."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

import click

from ..errors import DocwatchError, UsageError
from ..demo.apps import SHAPES
from ..models import CheckResult
from .base import EXIT_FAILED, Settings, _print_alert, cli, known_source, writable_path


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
    from ..pipeline import Timings, check_all
    from ..progress import Tally, bar, interruptible

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
    from .. import render

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


@cli.command("sources")
@click.pass_obj
def sources_cmd(settings: Settings) -> None:
    """A status table: each source's schedule, next and last check, result, changes.

    "next check" is what a running `docwatch run` has scheduled. Sources that are in the
    database but no longer configured are listed too.
    """
    from rich.console import Console
    from rich.table import Table

    from ..redact import source_url

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


@cli.command("reparse")
@click.argument("sources", nargs=-1)
@click.pass_obj
def reparse_cmd(settings: Settings, sources: tuple[str, ...]) -> None:
    """Rebuild sections and changes from the stored raw HTML with today's parser and rules.

    Run it after upgrading docwatch or changing a source's `content`, `exclude` or `ignore`.
    Idempotent: a second run changes nothing. The fetch log, raw pages and sent alerts stay.
    """
    from ..models import Source
    from ..pipeline import reparse

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
    from .. import logs
    from ..schedules import run

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
    from ..demo.replay import run_demo
    from ..store import made_by

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
