"""The command line: a thin click layer over `pipeline` and `store`, one module per kind of
command (`checking`, `reading`, `publishing`, `configuring`) on the group in `base`."""

from __future__ import annotations

from . import checking, configuring, publishing, reading  # noqa: F401 (they add the commands)
from .base import cli


__all__ = ["cli", "main"]


def main() -> None:  # pragma: no cover - the console script
    from .. import memory

    memory.tune()
    cli(prog_name="docwatch")
