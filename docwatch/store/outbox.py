"""The alert outbox: due rows, claimed by one sender at a time, marked sent or failed."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

from ..times import now_iso


@dataclass(frozen=True)
class Delivery:
    """An outbox row due to be sent."""

    id: int
    channel: str
    title: str
    body: str
    attempts: int
    change_ids: list[int] | None
    created_at: str


class Outbox:
    """The `deliveries` rows."""

    def deliverable(self, now: str) -> list[Delivery]:
        """Outbox rows to send now: pending or failed before, and due (digests: window closed)."""
        return [Delivery(i, ch, t, b, a, json.loads(ids) if ids else None, c)
                for i, ch, t, b, a, ids, c in self.db.execute(
                    "SELECT id, channel, title, body, attempts, change_ids, created_at "
                    "FROM deliveries WHERE status IN ('pending', 'failed', 'sending') "
                    "AND (due_at IS NULL OR due_at <= ?) ORDER BY id", [now])]

    def claim(self, delivery_id: int) -> bool:
        """Take a row for sending; False when another check or process already has it.

        A claim by a process that is gone (killed mid-send) is taken over: the message may
        have left, and goes again with the same idempotency key.
        """
        me = _claimant()
        with self.transaction():
            row = self.db.execute("SELECT status, claimed_by FROM deliveries WHERE id = ?",
                                  [delivery_id]).fetchone()
            if row is None or row[0] not in ("pending", "failed", "sending"):
                return False
            if row[0] == "sending" and _alive(row[1]):
                return False
            self.db.execute("UPDATE deliveries SET status = 'sending', claimed_by = ? WHERE id = ?",
                            [me, delivery_id])
            return True

    def delivery_done(self, delivery_id: int, *, ok: bool, error: str | None = None,
                      attempts: int = 1, title: str | None = None, body: str | None = None,
                      give_up: bool = False) -> None:
        """Record a delivery's outcome; a sent row keeps the text of what was sent."""
        if ok:
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + ?, sent_at = ?, "
                "last_error = NULL, title = coalesce(?, title), body = coalesce(?, body), "
                "claimed_by = NULL WHERE id = ?", [attempts, now_iso(), title, body, delivery_id])
        else:
            self.db.execute(
                "UPDATE deliveries SET attempts = attempts + ?, last_error = ?, status = ?, "
                "claimed_by = NULL WHERE id = ?", [attempts, error,
                                                   "abandoned" if give_up else "failed",
                                                   delivery_id])


def _claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(claimant: str | None) -> bool:
    """Whether the process that claimed a delivery still runs (on another host: assume so)."""
    host, _, pid = (claimant or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return bool(claimant)
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

