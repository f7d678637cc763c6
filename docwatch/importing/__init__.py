"""Switching takes one command: the pages urlwatch and changedetection.io watch, as
`[[source]]` tables appended to docwatch's config.

Each tool has a reader (`urlwatch.read`, `changedetection.read`: a file in, an `Imported`
out, nothing written) that maps what carries over to its docwatch form and says, job by job,
what does not and why. `plan` fits the result to an existing config (never a second source of
the same name or URL); `toml` writes the tables, secrets masked when they are to be shown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import DocwatchError, UsageError
from ..redact import MASK, SECRET_PARAM_RE, source_url

_NAME_CHARS_RE = re.compile(r"[^A-Za-z0-9_.-]+")
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class ImportFault(UsageError):
    """A file to import from is malformed: names the file, the job and the field."""


@dataclass
class Watch:
    """One job of the other tool, as a docwatch `[[source]]` table."""

    job: str  # how the tool named it
    table: dict[str, Any]
    lost: list[str] = field(default_factory=list)  # what did not carry over, and why


@dataclass
class Imported:
    tool: str
    watches: list[Watch] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (job, why not imported)


def read(tool: str, path: Path) -> Imported:
    """The watches of `tool` ("urlwatch", "changedetection") in `path`."""
    from . import changedetection, urlwatch

    return {"urlwatch": urlwatch.read, "changedetection": changedetection.read}[tool](path)


def plan(imported: Imported, existing: list[dict[str, Any]]) -> tuple[list[Watch], list[str]]:
    """The watches to add to a config holding `existing` source tables: names made unique,
    and those whose name and URL are already there (or whose URL is) left out, each said."""
    names = {s.get("name") for s in existing}
    urls = {s.get("url") for s in existing}
    adding, notes = [], []
    for w in imported.watches:
        url, name = w.table["url"], w.table["name"]
        if url in urls:
            notes.append(f"{w.job}: already watched ({source_url(url)}); left as it is")
            continue
        base, k = name, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        w.table["name"] = name
        names.add(name)
        urls.add(url)
        adding.append(w)
    return adding, notes


def append(config: Path, watches: list[Watch], origin: str, check) -> None:
    """Append the watches' tables to `config` (made if missing), under a comment naming where
    they came from, once the whole file with them still loads (`check`, a `parse_config`)."""
    import tomllib

    before = config.read_text(encoding="utf-8") if config.exists() else ""
    text = toml(watches)
    check(tomllib.loads(before + "\n" + text), config)
    with config.open("a", encoding="utf-8") as out:
        out.write(("\n" if before and not before.endswith("\n\n") else "")
                  + f"# {origin}\n" + text)


def fit(watches: list[Watch], check) -> list[tuple[str, str]]:
    """Leave out (and return as (job, why)) the watches `check` refuses: a config error."""
    refused = []
    for w in list(watches):
        try:
            check({"source": [w.table]})
        except DocwatchError as e:
            refused.append((w.job, f"would not load in docwatch: {str(e).split(': ', 2)[-1]}"))
            watches.remove(w)
    return refused


def report(watches: list[Watch], skipped: list[tuple[str, str]], notes: list[str],
           *, dry_run: bool) -> str:
    """What an import did (or, with `dry_run`, would do): the tables (secrets masked), with
    what did not carry over as TOML comments, so the output can itself be pasted."""
    out = []
    for w in watches:
        out += [f"# {w.job}: not carried over: {lost}" for lost in w.lost]
        out.append(toml([w], shown=True))
    out += [f"# {job}: not imported: {why}" for job, why in skipped]
    out += [f"# {note}" for note in notes]
    return "\n".join(out)


def name_for(title: str | None, url: str) -> str:
    """A source name from a job's title, else from its URL's host and path."""
    if not title:
        parts = urlsplit(url)
        title = f"{parts.hostname or 'page'}{parts.path}"
    name = _NAME_CHARS_RE.sub("-", title.strip().lower()).strip("-._")[:60].strip("-._")
    return name or "page"


def every(seconds: int) -> str | None:
    """A check interval as a docwatch duration ("6h", "90m"), or None for none."""
    if seconds <= 0:
        return None
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def line_ignore(text: str, *, regex: bool = False) -> str:
    """An ignore rule that drops each passage holding `text` (a filter that dropped lines)."""
    return f"(?i).*(?:{text if regex else re.escape(text)}).*"


_PLAIN_PATTERN_RE = re.compile(r"(?:\\b)?([^\W_]+(?:\s+[^\W_]+)*)(?:\\b)?")


def match_term(text: str, *, regex: bool = False) -> str | None:
    """A text the other tool waited for (a trigger, a grep) as a `match` term: a word, or a
    phrase of words; None for a pattern that is more than words, which no term can say."""
    if regex:
        m = _PLAIN_PATTERN_RE.fullmatch(text.strip())
        if not m:
            return None
        text = m.group(1)
    words = text.replace('"', " ").split()
    if not words:
        return None
    return words[0] if len(words) == 1 else '"' + " ".join(words) + '"'


def toml(watches: list[Watch], *, shown: bool = False) -> str:
    """The watches as `[[source]]` tables; `shown`: secrets masked, for printing."""
    out = []
    for w in watches:
        table = dict(w.table)
        if shown:
            table["url"] = source_url(table["url"])
            if "headers" in table:
                table["headers"] = {k: MASK if _secret_header(k) else v
                                    for k, v in table["headers"].items()}
        out.append("[[source]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in table.items()))
    return "\n".join(out)


def _value(v: Any) -> str:
    """A TOML value: JSON's string escapes are TOML's too."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(map(_value, v)) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_value(k)} = {_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v), ensure_ascii=False)


def _secret_header(name: str) -> bool:
    return name.lower() in _SECRET_HEADERS or bool(SECRET_PARAM_RE.match(name))
