"""Commands that read the history: `changes`, `history`, `show`, and `diff` of two
versions given on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import DocwatchError, UsageError
from ..models import CATEGORIES, ParseRules
from .base import (MATCH_HELP, Settings, _language_option, _match, _print_alert, _when, cli,
                   known_source)


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
    from ..times import day_start

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
    from ..render import LABELS, STATUS, figures_line, quote

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


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help='Print {"changes": [...]} per the contract.')
@click.option("--all", "show_all", is_flag=True, help="Also show changes that do not alert.")
@click.option("--lang", callback=_language_option,
              help="Read dates and figures in this language (lt, de, fr, …), whatever <html lang> says.")
def diff_cmd(old: str, new: str, as_json: bool, show_all: bool, lang: str | None) -> None:
    """Compare two versions of a page, given as files or URLs."""
    from .. import render
    from ..pipeline import diff_targets

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


@cli.command("history")
@click.argument("source")
@click.option("--section", "-S", help="Only sections whose heading path contains this text.")
@click.option("--text", "show_text", is_flag=True, help="Print each version's full text.")
@click.pass_obj
def history_cmd(settings: Settings, source: str, section: str | None, show_text: bool) -> None:
    """How SOURCE's sections changed: each version's dates and the changes that made it."""
    from ..render import LABELS, quote

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
        from ..web import views
        from ..web.links import change_links

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
