"""Which `docwatch run` processes read a config file: so a command that changed the file can
say how to make them load it (SIGHUP), without the daemon writing anything for it to find.

Read from Linux's /proc: a process's arguments, environment and working folder say which
config it loaded (`--config`, `DOCWATCH_CONFIG`, else `docwatch.toml` where it started).
Elsewhere, or for another user's processes, nothing is found and nothing is said.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def daemons_reading(config: Path) -> list[int]:
    """The pids of `docwatch run` processes whose config is `config`."""
    target = config.resolve()
    found = []
    try:
        entries = list(PROC.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
            if not _is_run(argv):
                continue
            cwd = Path(os.readlink(entry / "cwd"))
            environ = (entry / "environ").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:  # gone since, or not ours to read
            continue
        path = Path(_config_of(argv, environ))
        if (cwd / path).resolve() == target:
            found.append(int(entry.name))
    return sorted(found)


def _is_run(argv: list[str]) -> bool:
    args = [a for a in argv if a]
    for i, arg in enumerate(args):
        if Path(arg).name == "docwatch" or arg == "docwatch" and i and args[i - 1] == "-m":
            rest = args[i + 1:]
            # The first word that is neither an option nor an option's value is the command.
            k = 0
            while k < len(rest) and rest[k].startswith("-"):
                k += 1 if "=" in rest[k] or rest[k] in ("-h", "--help", "--version") else 2
            return k < len(rest) and rest[k] == "run"
    return False


def _config_of(argv: list[str], environ: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    for pair in environ:
        if pair.startswith("DOCWATCH_CONFIG=") and pair[16:]:
            return pair[16:]
    return "docwatch.toml"
