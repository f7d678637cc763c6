"""Status events: a page failing, gone, its content not readable, and back; composed for
the channels that want them."""

from __future__ import annotations

import logging

from .. import notify, redact
from ..models import Message, NotifyTarget, Source, SourceState, StatusEvent


log = logging.getLogger("docwatch.pipeline")


def _status_events(source: Source, state: SourceState, targets: tuple[NotifyTarget, ...],
                   kind: str | None, message: str, failing_after: int
                   ) -> tuple[list[StatusEvent], list[Message]]:
    """One "page removed" on a 404/410; one "source failing" when failures reach
    `failing_after` in a row ("content not readable" when the page was there but not its
    content: a placeholder, a wall, an empty page); one "recovered" ("content back") at the
    first success after either."""
    failures, last_kind = state.failures, state.last_kind
    if kind == "gone":
        event = "removed" if last_kind != "gone" else None
        detail = message
    elif kind in UNREADABLE:
        event = "content_unreadable" if failures + 1 == failing_after else None
        detail = (f"{failing_after} checks in a row could not read the page's content; the "
                  f"last: {message}")
    elif kind is not None:
        event = "failing" if failures + 1 == failing_after else None
        detail = f"{failing_after} checks in a row failed; the last: {message} [{kind}]"
    else:
        back = failures >= failing_after or last_kind == "gone"
        event = None if not back else "content_back" if last_kind in UNREADABLE else "recovered"
        detail = (f"the page's content is back after {failures} check(s) that could not read it"
                  if event == "content_back" else
                  f"checked fine again after {failures} failed check(s)")
    if not event:
        return [], []
    return [StatusEvent(event, detail)], _status_message(source, targets, event, detail)


#: Failed checks that read the page but not its content: what "content back" ends.
UNREADABLE = frozenset({"placeholder", "empty"})


def _status_message(source: Source, targets: tuple[NotifyTarget, ...], event: str,
                    detail: str) -> list[Message]:
    """A status event, logged, and composed for the channels that want it."""
    log.info("%s: %s", source.name, event, extra={"event": f"source_{event}",
                                                    "source": source.name})
    channels = tuple((t.key, t.shown_as) for t in targets if t.wants_status(source.name, event))
    if not channels:
        return []
    title, body = notify.status_message(source.name, redact.source_url(source.url), event, detail)
    return [Message(channels, title, body)]
