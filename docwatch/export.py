"""`docwatch export git DIR`: the history as a git repository anyone can read without docwatch,
as Open Terms Archive publishes the terms of online services.

One Markdown file per source (its sections as headings, passages as paragraphs, items, table
rows and links), one commit per recorded version dated by when it was found, with the alert
lines of its check as the message; a status event (the page failing, gone, back) is a commit
of its own with nothing changed. The commits are streamed to `git fast-import`, one process
for the whole history: a commit per version would be two processes each, and a long history
has thousands. Running it again adds only what is new since `.docwatch-export.json` (tracked
in the repository, so the repository alone says how far it goes). A folder holding anything
else is refused: the work tree is reset to what was exported.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import render
from .errors import DocwatchError, UsageError
from .models import Document
from .store import Store
from .times import from_iso

STATE = ".docwatch-export.json"
BRANCH = "main"
AUTHOR = "docwatch <docwatch@localhost>"
_LINE_START_RE = re.compile(r"^(#|>|[-+*] |\d+[.)] |=+$|-+$)")


class ExportError(DocwatchError):
    """git is missing or failed; the repository is as it was."""


@dataclass
class Exported:
    """How far a repository goes: per source, its last version and status event exported."""

    snapshots: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"snapshots": self.snapshots, "events": self.events}, indent=1,
                          sort_keys=True) + "\n"


@dataclass
class _Commit:
    at: str
    message: str
    files: dict[str, str]  # path -> content
    status: bool = False  # a status event: before a version found by the same check


def markdown(doc: Document, source: str, url: str) -> str:
    """A version as Markdown: what `docwatch show` prints, in Markdown's terms."""
    out = [f"# {doc.title or source}", "", f"<{url}>"]
    for s in doc.sections:
        if s.path:
            out += ["", f"{'#' * min(len(s.path) + 1, 6)} {_escaped(s.heading)}"]
        for b in s.blocks:
            # An entry's paragraphs stay lines of one Markdown paragraph.
            text = "\n".join(map(_escaped, b.text.split("\n")))
            if b.date:
                text = f"**{_escaped(b.date)}** — {text}"
            if b.kind == "item":
                text = f"- {text}"
            elif b.kind == "link" and len(b.links) == 1:
                text = f"[{text.replace(']', chr(92) + ']')}](<{b.links[0]}>)"
            out += ["", text]
    return "\n".join(out) + "\n"


def _escaped(text: str) -> str:
    # A passage that opens like Markdown's own marks ("1. ", "- ", "#") is still a passage.
    return "\\" + text if _LINE_START_RE.match(text) else text


def file_of(source: str) -> str:
    """A source's file: its name (a linked document's "page/plan.pdf" stays under its page)."""
    parts = [re.sub(r"[^\w.@+-]+", "-", p).strip(".") or "-" for p in source.split("/")]
    return "/".join(parts) + ".md"


def export_git(store: Store, folder: Path, sources: list[str] | None = None) -> int:
    """Add what is new to the repository in `folder` (made if missing); the commits added."""
    git = shutil.which("git")
    if git is None:
        raise ExportError("export git: the git command is not installed (apt-get install git)")
    state = _open(git, folder)
    names = sources or store.source_names()
    commits = _commits(store, names, state)
    if not commits:
        return 0
    commits.sort(key=lambda c: (c.at, not c.status))  # one history, in the order found
    commits[-1].files[STATE] = state.to_json()
    _fast_import(git, folder, commits)
    _run(git, folder, "reset", "--hard", "-q", BRANCH)
    return len(commits)


def _open(git: str, folder: Path) -> Exported:
    """The repository's state; a new one when the folder is missing or empty; UsageError for
    a folder docwatch did not make."""
    if not folder.exists() or folder.is_dir() and not any(folder.iterdir()):
        folder.mkdir(parents=True, exist_ok=True)
        _run(git, folder, "init", "-q", "-b", BRANCH)
        return Exported()
    marker = folder / STATE
    if not folder.is_dir() or not (folder / ".git").exists() or not marker.is_file():
        raise UsageError(f"{folder}: not a repository made by docwatch export git (no {STATE}); "
                         "give a new or empty folder")
    try:
        raw = json.loads(marker.read_text(encoding="utf-8"))
        return Exported(dict(raw["snapshots"]), dict(raw["events"]))
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{marker}: not docwatch's record of what was exported") from None


def _commits(store: Store, names: list[str], state: Exported) -> list[_Commit]:
    out: list[_Commit] = []
    for name in names:
        path, versions = file_of(name), store.versions_of(name)
        for snapshot_id, at in versions:
            if snapshot_id <= state.snapshots.get(name, 0):
                continue
            info, doc = store.snapshot_info(snapshot_id), store.document(snapshot_id)
            changes = [c for c in store.changes_at(snapshot_id) if c.alert]
            if versions[0][0] == snapshot_id:
                message = f"{name}: first version\n\n{info['url']}"
            else:
                page = render.Page(name, info["title"] or "", info["url"], changes)
                subject, body = render.text([page]) if changes else (
                    f"{name}: a new version, no change that alerts", info["url"])
                message = f"{subject}\n\n{body}"
            out.append(_Commit(at, message, {path: markdown(doc, name, info["url"])}))
            state.snapshots[name] = snapshot_id
        for event in reversed(store.events(source=name)):
            if event["id"] <= state.events.get(name, 0):
                continue
            status = render.STATUS.get(event["event"], event["event"])
            out.append(_Commit(event["at"], f"{name}: {status}\n\n{event['detail']}", {},
                               status=True))
            state.events[name] = event["id"]
    return out


def _fast_import(git: str, folder: Path, commits: list[_Commit]) -> None:
    head = _run(git, folder, "rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}",
                check=False).strip()
    stream = bytearray()
    for k, c in enumerate(commits):
        when = int(from_iso(c.at).timestamp())
        message = c.message.encode("utf-8")
        stream += f"commit refs/heads/{BRANCH}\n".encode()
        stream += f"author {AUTHOR} {when} +0000\ncommitter {AUTHOR} {when} +0000\n".encode()
        stream += b"data %d\n%s\n" % (len(message), message)
        if k == 0 and head:
            stream += f"from {head}\n".encode()
        for path, content in c.files.items():
            data = content.encode("utf-8")
            stream += b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
    _run(git, folder, "fast-import", "--quiet", "--done", stdin=bytes(stream) + b"done\n")


def _run(git: str, folder: Path, *args: str, stdin: bytes | None = None,
         check: bool = True) -> str:
    done = subprocess.run([git, "-C", str(folder), *args], input=stdin, capture_output=True)
    if check and done.returncode:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExportError(f"export git: git {args[0]} failed: {why[-1] if why else done.returncode}")
    return done.stdout.decode("utf-8", "replace")
