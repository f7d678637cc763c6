"""changedetection.io's datastore to docwatch sources: its folder (`changedetection.json`, a
`watch.json` and `tag.json` per UUID, since 0.50), the older single `url-watches.json`, or the
ZIP backup its UI downloads.

Carried over: the title (else the URL) as the name, `url`, `include_filters` (CSS, `xpath:`,
`xpath1:`) to `content`, `subtractive_selectors` to `exclude`, `ignore_text` (text or
`/regex/`) to `ignore`, `time_between_check` (or the datastore's default) to `every`, `headers`,
tags to `tags`, a browser fetch backend to `render = "browser"`. Price and restock watches,
JSON filters and POSTs are not imported, each said why.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from ..redact import source_url
from . import ImportFault, Imported, Watch, every, line_ignore, match_term, name_for

_PLAIN_BACKENDS = {"system", "html_requests", "requests", None, ""}
_LOST = {
    "extract_text": "extracting text by regex (docwatch reports the passages that changed)",
    "text_should_not_be_present": "alerting on a text's presence",
    "extract_lines_containing": "keeping only lines containing a text",
    "webdriver_js_execute_code": "running JavaScript before reading the page",
    "proxy": "a proxy per watch",
    "notification_urls": "notifications per watch: set them in [[notify]] (tags can filter)",
}


def read(path: Path) -> Imported:
    files = _files(path)
    tags = _tags(files)
    default = files["settings"].get("settings", {}).get("requests", {}).get(
        "time_between_check") or {}
    out = Imported("changedetection.io")
    def added(item: tuple[str, Any]) -> tuple:  # in the order they were added
        return (item[1].get("date_created") or 0, item[0]) if isinstance(item[1], dict) else \
            (0, item[0])

    for uuid, watch in sorted(files["watches"].items(), key=added):
        _watch(f"{files['where']}: watch {uuid}", watch, tags, default, out)
    return out


def _files(path: Path) -> dict[str, Any]:
    """The datastore's JSON, wherever it is: {settings, watches, tags, where}."""
    if not path.exists():
        raise ImportFault(f"{path}: no such file or folder")
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return _parse(str(path), {n: z.read(n) for n in z.namelist() if n.endswith(".json")})
    if path.is_file():
        return _parse(str(path.parent), {path.name: path.read_bytes()}) \
            if path.name == "url-watches.json" else _files(path.parent)
    found = {str(p.relative_to(path)): p.read_bytes() for p in path.glob("*.json")}
    found |= {str(p.relative_to(path)): p.read_bytes() for p in path.glob("*/*.json")}
    return _parse(str(path), found)


def _parse(where: str, files: dict[str, bytes]) -> dict[str, Any]:
    def load(name: str) -> Any:
        try:
            return json.loads(files[name])
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ImportFault(f"{where}: {name}: not JSON ({e})") from None

    if "url-watches.json" in files:  # before 0.50: one file
        legacy = load("url-watches.json")
        if not isinstance(legacy, dict) or not isinstance(legacy.get("watching"), dict):
            raise ImportFault(f"{where}: url-watches.json: watching: missing")
        return {"settings": legacy, "watches": legacy["watching"], "tags": {}, "where": where}
    if "changedetection.json" not in files:
        raise ImportFault(f"{where}: not a changedetection.io datastore (no "
                          "changedetection.json or url-watches.json)")
    settings = load("changedetection.json")
    watches, tags = {}, {}
    for name in files:
        folder, _, leaf = name.rpartition("/")
        if leaf == "watch.json":
            watches[folder] = load(name)
        elif leaf == "tag.json":
            tags[folder] = load(name)
    return {"settings": settings, "watches": watches, "tags": tags, "where": where}


def _tags(files: dict[str, Any]) -> dict[str, str]:
    """Tag UUID → title, from tag.json files and the settings' own list."""
    titles = {uuid: t.get("title") for uuid, t in files["tags"].items() if isinstance(t, dict)}
    listed = files["settings"].get("settings", {}).get("application", {}).get("tags", {})
    if isinstance(listed, dict):
        titles |= {uuid: t.get("title") for uuid, t in listed.items() if isinstance(t, dict)}
    return {uuid: title for uuid, title in titles.items() if title}


def _watch(label: str, w: Any, tags: dict[str, str], default: dict, out: Imported) -> None:
    if not isinstance(w, dict):
        raise ImportFault(f"{label}: not a watch")
    url = w.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        shown = "missing" if url is None else repr(source_url(str(url)))
        raise ImportFault(f"{label}: url: {shown} (an http(s) URL)")
    job = w.get("title") or source_url(url)  # a label to print: no password in it
    if w.get("processor") not in (None, "text_json_diff"):
        out.skipped.append((job, f"a {w['processor']} processor (prices and stock), not the "
                                 "page's text"))
        return
    if (w.get("method") or "GET").upper() != "GET" or w.get("body"):
        out.skipped.append((job, "a POST with a body: docwatch only GETs pages"))
        return
    filters = [f for f in w.get("include_filters") or [] if isinstance(f, str) and f.strip()]
    if any(f.startswith(("json:", "jq:", "jqraw:")) for f in filters):
        out.skipped.append((job, "a JSON filter: docwatch reads pages and PDFs, not JSON data"))
        return
    table: dict[str, Any] = {"name": name_for(w.get("title"), url), "url": url}
    watch = Watch(job, table)
    if filters:
        table["content"] = _selector(filters[0])
        watch.lost += [f"include filter {f!r}: a second selector (docwatch takes the first)"
                       for f in filters[1:]]
    if exclude := [_selector(s) for s in w.get("subtractive_selectors") or [] if s]:
        table["exclude"] = exclude
    if ignore := [_ignore(t) for t in w.get("ignore_text") or [] if isinstance(t, str) and t]:
        table["ignore"] = ignore
    interval = default if w.get("time_between_check_use_default", True) else \
        w.get("time_between_check") or {}
    if period := every(_seconds(interval)):
        table["every"] = period
    if headers := {str(k): str(v) for k, v in (w.get("headers") or {}).items()}:
        table["headers"] = headers
    if names := [tags[t] for t in w.get("tags") or [] if t in tags]:
        table["tags"] = names
    if w.get("fetch_backend") not in _PLAIN_BACKENDS:
        table["render"] = "browser"
    if w.get("browser_steps"):
        watch.lost.append("browser steps (clicks, typing): not supported; the page is "
                          "rendered as it loads")
    if w.get("paused"):
        watch.lost.append("paused in changedetection.io: docwatch will check it")
    _triggers(watch, [t for t in w.get("trigger_text") or [] if isinstance(t, str) and t.strip()])
    watch.lost += [f"{key}: {why}" for key, why in _LOST.items() if w.get(key)]
    out.watches.append(watch)


def _triggers(watch: Watch, triggers: list[str]) -> None:
    """trigger_text (texts, or "/regex/flags"): the source alerts on changes mentioning them."""
    for text in triggers:
        regex = len(text) > 2 and text.startswith("/") and text.rfind("/") > 0
        term = match_term(text[1:text.rfind("/")] if regex else text, regex=regex)
        if term:
            watch.table.setdefault("match", []).append(term)
        else:
            watch.lost.append(f"trigger_text {text!r}: a pattern that is more than words (a "
                              "match term is words, a phrase or a stem)")


def _selector(f: str) -> str:
    """changedetection.io's selector forms ("xpath://…", "xpath1://…", "//…", CSS) as docwatch's."""
    for prefix in ("xpath1:", "xpath:"):
        if f.startswith(prefix):
            return "xpath:" + f[len(prefix):]
    return f"xpath:{f}" if f.startswith("/") else f


def _ignore(text: str) -> str:
    """An ignore_text entry (a text, or "/regex/flags") as the lines it dropped."""
    if len(text) > 2 and text.startswith("/") and text.rfind("/") > 0:
        return line_ignore(text[1:text.rfind("/")], regex=True)
    return line_ignore(text)


def _seconds(interval: dict) -> int:
    units = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
    return sum(int(interval.get(k) or 0) * n for k, n in units.items()) \
        if isinstance(interval, dict) else 0
