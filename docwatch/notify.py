"""Alerts: render changes as one readable message per check, deliver through an outbox.

Messages are composed when a check is stored (rows in `deliveries`, written in the same
transaction) and sent afterwards, so a crash between storing and sending loses nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from .models import Change, NotifyTarget
from .store import Store

log = logging.getLogger(__name__)

LABELS = {
    "new_entry": "+ NEW ENTRY",
    "removed_entry": "- REMOVED ENTRY",
    "revised_figure": "~ FIGURE",
    "text_edit": "~ EDITED",
    "content_added": "+ ADDED",
    "content_removed": "- REMOVED",
    "section_renamed": "~ RENAMED",
    "moved": "> MOVED",
    "minor_edit": "· MINOR",
}
WIDTH = 16
QUOTE = 220


def title(source: str | None, page_title: str, changes: list[Change]) -> str:
    """"urm-nato · Lithuania's membership in NATO — 3 changes"."""
    n = len(changes)
    name = f"{source} · " if source else ""
    return f"{name}{page_title or source or 'page'} — {n} change{'s' if n != 1 else ''}"


def render_text(source: str | None, page_title: str, url: str | None,
                changes: list[Change]) -> tuple[str, str]:
    """(title, body) in plain text, changes grouped by section, in reading order."""
    lines: list[str] = []
    for change in changes:
        label = LABELS.get(change.category, change.category).ljust(WIDTH)
        where = " › ".join(_below_title(change.section, page_title)) or "(top of page)"
        if change.locator:
            where += f" › {change.locator}"
        figs = "  ".join(f"{f['old'] or '∅'} → {f['new'] or '∅'}" for f in change.figures)
        lines.append(f"{label}{where}" + (f"   {figs}" if figs else ""))
        lines.append(" " * WIDTH + quote(change))
    if url:
        lines.append("")
        lines.append(url)
    return title(source, page_title, changes), "\n".join(lines)


def _below_title(section: list[str], page_title: str) -> list[str]:
    """The page's own title heads every path; an alert already names the page."""
    return section[1:] if len(section) > 1 and section[0] == page_title else section


def quote(change: Change) -> str:
    """The changed passage, quoted, with the word diff marked [-old-]{+new+}."""
    if change.kind == "modified" and change.category not in ("section_renamed",):
        text = "".join(
            t if op == "=" else (f"[-{t}-]" if op == "-" else f"{{+{t}+}}") for op, t in change.diff
        )
        text = _around_edits(text)
    else:
        text = change.new_text if change.new_text is not None else change.old_text or ""
        if change.category == "section_renamed":
            text = f"{change.old_text} → {change.new_text}"
    text = " ".join(text.split())
    return f'"{text[:QUOTE]}{"…" if len(text) > QUOTE else ""}"'


def _around_edits(text: str, context: int = 90) -> str:
    """Keep the edited stretch of a long passage with some words either side."""
    first = min((i for i in (text.find("[-"), text.find("{+")) if i >= 0), default=0)
    if first <= context:
        return text
    cut = text.rfind(" ", 0, first - context)
    return "…" + text[cut + 1:] if cut >= 0 else text


def outgoing(source: str, page_title: str, url: str, changes: list[Change],
             targets: tuple[NotifyTarget, ...]) -> list[tuple[str, str, str]]:
    """(channel, title, body) for each channel that wants some of these changes."""
    out = []
    for target in targets:
        wanted = [c for c in changes if target.wants(c)]
        if wanted:
            subject, body = render_text(source, page_title, url, wanted)
            out.append((target.url, subject, body))
    return out


def deliver_pending(store: Store) -> dict[str, int]:
    """Send every pending outbox row through Apprise; count sent and failed."""
    pending = store.pending_deliveries()
    counts: dict[str, int] = defaultdict(int)
    if not pending:
        return counts
    import apprise  # heavy: imported only when something is to be sent

    for delivery in pending:
        ap = apprise.Apprise()
        if not ap.add(delivery.channel):
            store.delivery_done(delivery.id, ok=False, error="not a usable Apprise URL",
                                max_attempts=1)
            counts["failed"] += 1
            continue
        try:
            ok = bool(ap.notify(title=delivery.title, body=delivery.body,
                                body_format=apprise.NotifyFormat.TEXT))
            error = None if ok else "the channel did not accept the message"
        except Exception as e:  # noqa: BLE001 - a plugin's failure must not stop the others
            ok, error = False, f"{type(e).__name__}: {e}"
        store.delivery_done(delivery.id, ok=ok, error=error)
        counts["sent" if ok else "failed"] += 1
        if not ok:
            log.warning("delivery %s to %s failed: %s", delivery.id, _redact(delivery.channel), error)
    return counts


def _redact(url: str) -> str:
    """A channel URL without its credentials, for logs."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('@')[-1].split('/')[0]}/…"
