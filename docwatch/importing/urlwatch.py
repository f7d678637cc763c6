"""urlwatch's `urls.yaml` (one YAML document per job) to docwatch sources.

Carried over: `name`, `url` (`navigate` for a browser job: `render = "browser"`), `css` and
`xpath` filters (and `element-by-id`/`-class`/`-tag`) to `content`, their `exclude` to
`exclude`, `re.sub` with an empty replacement and `grepi` to `ignore`, `grep` of words to
`match` (the source alerts on changes that mention them), `headers` (and
`cookies`), `timeout`. Filters docwatch does by itself (html2text, pdf2text, beautify, strip)
need nothing. Shell jobs, POSTs and JSON filters are not imported, each said why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..redact import source_url
from . import ImportFault, Imported, Watch, line_ignore, match_term, name_for

_BUILT_IN = {"html2text", "pdf2text", "beautify", "strip", "striplines", "pretty-xml",
             "remove-duplicate-lines", "sort", "reverse"}  # docwatch reads structure itself
_JSON = {"jq", "format-json"}
_BY_ELEMENT = {"element-by-id": "#{}", "element-by-class": ".{}", "element-by-tag": "{}"}


def read(path: Path) -> Imported:
    import yaml

    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as e:
        raise ImportFault(f"{path}: cannot read it: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ImportFault(f"{path}: not urlwatch's urls.yaml: not UTF-8 text") from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" (line {where.line + 1})" if where else ""
        raise ImportFault(f"{path}: not urlwatch's urls.yaml: not YAML{at}") from None
    out = Imported("urlwatch")
    for k, job in enumerate((d for d in docs if d is not None), 1):
        if not isinstance(job, dict):
            raise ImportFault(f"{path}: job {k}: not a job (a mapping of keys such as url, "
                              "name, filter)")
        label = f"job {k}" + (f" ({job['name']!r})" if isinstance(job.get("name"), str) else "")
        _job(path, label, job, out)
    return out


def _job(path: Path, label: str, job: dict[str, Any], out: Imported) -> None:
    if "command" in job:
        out.skipped.append((label, "a shell command, not a page: docwatch watches pages"))
        return
    url = job.get("navigate") or job.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        shown = "missing" if url is None else repr(source_url(str(url)))
        raise ImportFault(f"{path}: {label}: url: {shown} (an http(s) URL)")
    if str(job.get("method", "GET")).upper() != "GET" or job.get("data"):
        out.skipped.append((label, "a POST with form data: docwatch only GETs pages"))
        return
    if job.get("enabled") is False:
        out.skipped.append((label, "disabled in urlwatch"))
        return
    name = job.get("name") if isinstance(job.get("name"), str) else None
    table: dict[str, Any] = {"name": name_for(name, url), "url": url}
    watch = Watch(name or source_url(url), table)  # a label to print: no password in it
    if "navigate" in job:
        table["render"] = "browser"
    for kind, sub in _filters(path, label, job.get("filter")):
        if kind in _JSON:
            out.skipped.append((label, f"a {kind} filter: docwatch reads pages and PDFs, "
                                       "not JSON data"))
            return
        _filter(kind, sub, table, watch)
    headers = job.get("headers") or {}
    if not isinstance(headers, dict):
        raise ImportFault(f"{path}: {label}: headers: not a mapping of names to values")
    headers = {str(k): str(v) for k, v in headers.items()}
    if isinstance(job.get("cookies"), dict):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in job["cookies"].items())
    if headers:
        table["headers"] = headers
    if isinstance(job.get("timeout"), (int, float)) and job["timeout"] > 0:
        table["timeout"] = job["timeout"]
    for key, why in (("ssl_no_verify", "TLS certificates are always verified"),
                     ("ignore_http_error_codes", "an HTTP error is always a failed check"),
                     ("diff_tool", "docwatch's own diff reports the changes")):
        if job.get(key):
            watch.lost.append(f"{key}: {why}")
    out.watches.append(watch)


def _filters(path: Path, label: str, spec: Any) -> list[tuple[str, Any]]:
    """urlwatch's filter list, in both its forms ("css:div,html2text" or a YAML list)."""
    if spec is None:
        return []
    if isinstance(spec, str):
        items = [part.strip() for part in spec.split(",") if part.strip()]
        return [(kind, arg or None) for kind, _, arg in (i.partition(":") for i in items)]
    if not isinstance(spec, list):
        raise ImportFault(f"{path}: {label}: filter: neither a string nor a list")
    out = []
    for item in spec:
        if isinstance(item, str):
            kind, _, arg = item.partition(":")
            out.append((kind, arg or None))
        elif isinstance(item, dict) and len(item) == 1:
            out.append(next(iter(item.items())))
        else:
            raise ImportFault(f"{path}: {label}: filter: {item!r} is not a filter")
    return out


def _filter(kind: str, sub: Any, table: dict[str, Any], watch: Watch) -> None:
    if kind in _BUILT_IN:
        return
    if kind in ("css", "xpath") or kind in _BY_ELEMENT:
        if kind in _BY_ELEMENT:
            value = sub.get("id") or sub.get("class") or sub.get("tag") \
                if isinstance(sub, dict) else sub
            selector = _BY_ELEMENT[kind].format(value)
            exclude = None
        else:
            key = "selector" if kind == "css" else "path"
            selector = sub.get(key) if isinstance(sub, dict) else sub
            exclude = sub.get("exclude") if isinstance(sub, dict) else None
            if kind == "xpath":
                selector = f"xpath:{selector}"
                exclude = exclude and f"xpath:{exclude}"
        if "content" in table:
            watch.lost.append(f"{kind}: {selector}: a second selector (docwatch takes the "
                              "first as the content)")
            return
        table["content"] = selector
        if exclude:
            table.setdefault("exclude", []).append(exclude)
    elif kind == "re.sub":
        pattern = sub.get("pattern") if isinstance(sub, dict) else sub
        if isinstance(sub, dict) and sub.get("repl"):
            watch.lost.append(f"re.sub {pattern!r} → {sub['repl']!r}: a replacement that "
                              "rewrites the text (only removals carry over)")
        else:
            table.setdefault("ignore", []).append(pattern)
    elif kind == "grepi":
        pattern = sub.get("re") if isinstance(sub, dict) else sub
        table.setdefault("ignore", []).append(line_ignore(pattern, regex=True))
    elif kind == "grep":
        pattern = sub.get("re") if isinstance(sub, dict) else sub
        if term := match_term(str(pattern), regex=True):
            table.setdefault("match", []).append(term)  # alerts on changes that mention it
        else:
            watch.lost.append(f"grep {pattern!r}: a pattern that is more than words (a match "
                              "term is words, a phrase or a stem)")
    else:
        watch.lost.append(f"{kind}: a filter docwatch has no equivalent of")
