"""How a change's word diff is stored: long unchanged runs as their length (the texts they
span are stored anyway), expanded again when read."""

from __future__ import annotations


LONG_RUN = 60  # unchanged runs longer than this are stored as their length


def compact(diff: list[list[str]], old: str, new: str) -> list[list]:
    """A word diff with long unchanged runs as lengths: the texts it spans are stored anyway."""
    if expand_diff(diff, old, new) != diff:  # only where the texts rebuild it exactly
        return diff
    return [[op, len(t)] if op == "=" and len(t) > LONG_RUN else [op, t] for op, t in diff]


def expand_diff(diff: list[list], old: str, new: str) -> list[list[str]]:
    """The inverse of `compact`, reading unchanged runs back from the old text (a stored
    diff, as `change_feed.diff` shows it, made whole again)."""
    out, at_old, at_new = [], 0, 0
    for op, piece in diff:
        if isinstance(piece, int):
            piece = old[at_old:at_old + piece]
        if op != "+":
            if old[at_old:at_old + len(piece)] != piece:
                return diff  # not spanning the texts: leave as stored
            at_old += len(piece)
        if op != "-":
            if new[at_new:at_new + len(piece)] != piece:
                return diff
            at_new += len(piece)
        out.append([op, piece])
    return out if at_old == len(old) and at_new == len(new) else diff

