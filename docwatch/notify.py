"""Alerts through the `deliveries` outbox, sent with Apprise.

A check queues, in its own transaction, one outbox row per channel that wants some of its
changes (or adds them to the channel's open hourly/daily digest). Sending happens afterwards:
each due row is rendered in the channel's own format (HTML for e-mail, Markdown for chat, text
elsewhere) and sent, with a few quick retries; a channel that stays down leaves its rows
`failed`, and they go out on the first run after it is back. Nothing is lost; a row is marked
sent as soon as the channel accepts it.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from itertools import zip_longest
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from . import render
from .errors import system_reason
from .redact import scrub
from .models import Change, NotifyTarget, Outgoing
from .store import Delivery, Store
from .times import from_iso, now_iso, to_iso
from .web.links import Links, change_links

log = logging.getLogger(__name__)

RETRIES = 3  # attempts per run
BACKOFF = (0.5, 1.5)  # seconds before the 2nd and 3rd attempt
GIVE_UP = timedelta(days=7)  # a row still unsent this long after it was queued is abandoned


def outgoing(changes: list[Change], targets: tuple[NotifyTarget, ...], at: str,
             tz: str = "UTC") -> list[Outgoing]:
    """What each channel should get of these changes, and when."""
    out = []
    for target in targets:
        wanted = tuple(i for i, c in enumerate(changes) if target.wants(c))
        if wanted:
            digest = None if target.digest == "immediate" else target.digest
            out.append(Outgoing(target.key, wanted, digest_due(at, digest, tz), digest,
                                target.shown_as))
    return out


def digest_due(at: str, digest: str | None, tz: str = "UTC") -> str:
    """When a change found at `at` goes out: now, or when its hour (or local day) ends."""
    if digest is None:
        return at
    when = from_iso(at).astimezone(ZoneInfo(tz))
    if digest == "hourly":
        end = when.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        end = datetime.combine(when.date() + timedelta(days=1), datetime.min.time(), when.tzinfo)
    return to_iso(end)


def status_message(source: str, url: str, event: str, detail: str) -> tuple[str, str]:
    """(title, body) of a status event: the source is failing, has recovered, is gone, or
    its content is not readable, or back."""
    return (f"{source} · {render.STATUS[event]}",
            f"{render.status_words(event).capitalize()}: {detail}\n{url}")


# --- sending ----------------------------------------------------------------------------


def deliver_pending(store: Store, targets: tuple[NotifyTarget, ...] | list[NotifyTarget],
                    now: str | None = None, *, sleep=time.sleep,
                    base_url: str | None = None) -> Counter:
    """Send every due outbox row; count them by outcome (sent, failed, abandoned, and
    unconfigured: rows for a channel the config no longer has, which wait for it). With
    `base_url`, each change links to its page in context there."""
    now = now or now_iso()
    due = store.deliverable(now)
    counts: Counter = Counter()
    if not due:
        return counts
    import apprise  # heavy: imported only when something is to be sent

    urls = {key: t.url for t in targets for key in t.keys}  # rows store identities, not URLs
    for d in due:
        url = urls.get(d.channel)
        if url is None:
            counts["unconfigured"] += 1
            continue
        if not store.claim(d.id):  # another check (or process) is sending it
            continue
        try:
            outcome = _deliver(store, d, url, now, apprise, sleep,
                               change_links(base_url, store.path))
        except Exception as e:  # noqa: BLE001 - a bad row must not hold up the others
            error = scrub(f"{type(e).__name__}: {e}", url)
            log.error("delivery %s to %s failed: %s", d.id, d.channel, error)
            store.delivery_done(d.id, ok=False, error=error, attempts=0)
            outcome = "failed"
        counts[outcome] += 1
    if counts["unconfigured"]:
        waiting = sorted({d.channel for d in due if d.channel not in urls})
        log.warning("%d alert(s) wait for channel(s) no longer configured, not sent: %s",
                    counts["unconfigured"], ", ".join(waiting))
    return counts


def _deliver(store: Store, d: Delivery, url: str, now: str, apprise, sleep,
             links: Links) -> str:
    ap = apprise.Apprise()
    if not ap.add(with_idempotency_key(url, f"docwatch-{d.created_at}-{d.id}")):
        store.delivery_done(d.id, ok=False, error="not a usable Apprise URL", give_up=True)
        log.warning("delivery %s: %s is not a usable Apprise URL", d.id, d.channel)
        return "abandoned"
    fmt = _format_of(ap[0], apprise)
    stored = store.changes_by_id(d.change_ids) if d.change_ids else None
    found = [change for _, change in stored] if stored is not None else None
    in_context = [links.change(i) for i, _ in stored or ()]
    pages = render.group(found, in_context) if found is not None else None
    if found and hasattr(ap[0], "payload_extras"):  # webhooks (json://) get the records too
        ap[0].payload_extras = {**ap[0].payload_extras,
                                "changes": webhook_changes(found, d, in_context)}
    title, body = message(d, pages, fmt)
    error = None
    for attempt in range(RETRIES):
        if attempt:
            sleep(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)])
        ok, error = send(ap, title, body, fmt, apprise)
        error = error and scrub(error, url)
        if ok:
            store.delivery_done(d.id, ok=True, attempts=attempt + 1, title=title,
                                body=body if fmt == "text" else message(d, pages, "text")[1])
            return "sent"
    expired = _age(d.created_at, now) > GIVE_UP
    store.delivery_done(d.id, ok=False, error=error, attempts=RETRIES, give_up=expired)
    log.warning("delivery %s to %s failed %d times: %s%s", d.id, d.channel, RETRIES,
                error, "; giving up" if expired else "; will retry on the next run")
    return "abandoned" if expired else "failed"


_HEADER_SCHEMES = ("json://", "jsons://", "form://", "forms://", "xml://", "xmls://")


def with_idempotency_key(channel: str, key: str) -> str:
    """Webhook URLs carry an Idempotency-Key header (Apprise's `+Header=value`).

    A message is marked sent once the channel accepts it; if docwatch is killed in the
    instant between the two, the next run sends it again with the same key, so a receiver
    that honours the header sees every alert exactly once.
    """
    if not channel.lower().startswith(_HEADER_SCHEMES):
        return channel
    return f"{channel}{'&' if '?' in channel else '?'}+Idempotency-Key={key}"


def webhook_changes(found: list[tuple[str, str, str | None, Change]], d: Delivery,
                    in_context: list[str | None] = ()) -> list[dict]:
    """The records a webhook receives in its JSON body's `changes`: each change per the
    contract, with the page's URL and title, when it was detected and, with `[run]
    base_url`, `link`: the change in context."""
    return [{**change.to_dict(), "url": url, "page_title": title, "detected_at": d.created_at,
             **({"link": link} if link else {})}
            for (_source, title, url, change), link in zip_longest(found, in_context)]


def send(ap, title: str, body: str, fmt: str, apprise) -> tuple[bool, str | None]:
    """One attempt through Apprise: (accepted, error saying why not)."""
    body_format = {"html": apprise.NotifyFormat.HTML, "markdown": apprise.NotifyFormat.MARKDOWN,
                   "text": apprise.NotifyFormat.TEXT}[fmt]
    with apprise.LogCapture(level=logging.DEBUG) as said:
        try:
            ok = bool(ap.notify(title=title, body=body, body_format=body_format))
        except Exception as e:  # noqa: BLE001 - a plugin's failure must not stop the others
            return False, f"{type(e).__name__}: {e}"
    return ok, None if ok else why_not(said.getvalue())  # callers scrub it of the URL's secrets


_LOG_LINE = re.compile(r"^\S+ \S+ - (\w+) - (.*)$")  # LogCapture's "date time - LEVEL - text"


def apprise_said(logged: str) -> list[tuple[str, str]]:
    """(level, message) of each line Apprise logged into a `LogCapture`."""
    return [(m[1], m[2].strip()) for line in logged.splitlines() if (m := _LOG_LINE.match(line))]


def why_not(logged: str) -> str:
    """Apprise's reason for a failure, from what it logged: its warning and the system's
    words ("connection refused"), never a URL (they carry credentials)."""
    said = apprise_said(logged)
    warning = next((m for level, m in said if level in ("WARNING", "ERROR")), "")
    detail = next((system_reason(m) for _, m in reversed(said) if "[Errno" in m), "")
    warning = re.sub(r"\S+://\S+", "the channel", warning).rstrip(".")
    text = "; ".join(p for p in (warning, detail.lower()) if p)
    return text or "the channel did not accept the message"


def message(d: Delivery, pages: list[render.Page] | None, fmt: str) -> tuple[str, str]:
    """The row's (title, body) in `fmt`: from its changes' pages, or its text as queued."""
    if pages is None:  # a status event, a test, or a schema-1 row
        return d.title, render.status_html(d.body) if fmt == "html" else d.body
    return render.render(pages, fmt)


def _format_of(plugin, apprise) -> str:
    """The channel's own format: HTML for e-mail, Markdown for chat services, else text."""
    native = getattr(plugin, "notify_format", apprise.NotifyFormat.TEXT)
    if isinstance(native, tuple):  # newer Apprise: the formats it takes, preferred first
        native = native[0] if native else apprise.NotifyFormat.TEXT
    return {apprise.NotifyFormat.HTML: "html",
            apprise.NotifyFormat.MARKDOWN: "markdown"}.get(native, "text")


def _age(created_at: str, now: str) -> timedelta:
    return from_iso(now) - from_iso(created_at)


def send_test(channels: list[str]) -> list[tuple[str, bool, str | None]]:
    """Send a test message through each channel now (not through the outbox)."""
    import apprise

    results = []
    for channel in channels:
        ap = apprise.Apprise()
        if problem := channel_problem(channel):
            results.append((channel, False, problem))
            continue
        ap.add(channel)
        fmt = _format_of(ap[0], apprise)
        body = "docwatch can reach this channel. Alerts about page changes will arrive here."
        ok, error = send(ap, "docwatch · test message",
                         render.status_html(body) if fmt == "html" else body, fmt, apprise)
        results.append((channel, ok, error and scrub(error, channel)))
    return results


def channel_problem(url: str) -> str | None:
    """Why Apprise cannot use this URL (its own words), or None when it can."""
    import apprise

    with apprise.LogCapture(level=logging.WARNING) as said:
        plugin = apprise.Apprise.instantiate(url)
    if plugin is not None:
        return None
    # Apprise's lines that quote the URL are left out: it may carry credentials
    reasons = [m for _, m in apprise_said(said.getvalue()) if m and "://" not in m]
    return "not a usable Apprise URL" + (f": {reasons[0]}" if reasons else "")
