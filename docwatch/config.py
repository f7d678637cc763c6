"""The TOML configuration: `[[source]]` and `[[notify]]` tables, validated field by field."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .boundary import Allowance
from .errors import ConfigError
from .locales import known_language
from .models import (CATEGORIES, STATUS_EVENTS, FetchSettings, MemoryWindow, NotifyTarget,
                     ParseRules, Source)

URM_NATO = Source(
    name="urm-nato",
    url="https://www.urm.lt/en/lithuanias-security-policy/"
    "lithuanias-membership-in-the-north-atlantic-treaty-organization-nato/995",
    every="6h",
)
KAM_NON_NATO = Source(
    name="kam-non-nato",
    url="http://www.mond.gov.lt/en/international_cooperation_1089/"
    "cooperation_with_non-nato_states.html",
    every="6h",
)
BUILTIN_SOURCES = (URM_NATO, KAM_NON_NATO)

_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SOURCE_KEYS = {"name", "url", "every", "cron", "content", "exclude", "ignore", "alert", "timeout",
                "robots", "lang", "documents", "render", "headers", "tags",
                "memory", "proxy", "match"}
_NOTIFY_KEYS = {"url", "name", "sources", "categories", "min_significance", "digest", "tags",
                "match"}
DIGESTS = ("immediate", "hourly", "daily")


@dataclass(frozen=True)
class RunSettings:
    """The `[run]` table: how `docwatch run` behaves."""

    heartbeat: int = 300  # seconds between heartbeat log lines
    catch_up: int = 60  # overdue sources at start are checked spread over this many seconds
    grace: int = 4  # on SIGTERM, seconds to let running checks finish
    base_url: str | None = None  # where Datasette serves the database: alerts link to it


_RUN_KEYS = {"heartbeat", "catch_up", "grace", "base_url"}


@dataclass(frozen=True)
class Config:
    sources: tuple[Source, ...]
    notify: tuple[NotifyTarget, ...] = ()
    path: Path | None = None
    timezone: str = "UTC"
    run: RunSettings = RunSettings()
    fetch: FetchSettings = FetchSettings()

    def select(self, names: tuple[str, ...] | list[str]) -> tuple[Source, ...]:
        """The sources named (all when none); ConfigError for an unknown name."""
        if not names:
            return self.sources
        known = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"unknown source {', '.join(map(repr, unknown))}; configured: {', '.join(known)}"
            )
        return tuple(known[n] for n in names)


def seconds(duration: str) -> int:
    """'6h' -> 21600. ValueError for anything else."""
    m = _DURATION_RE.match(duration)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{duration!r} is not a duration like '30m', '6h' or '1d'")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def load(path: str | Path | None, *, required: bool = False) -> Config:
    """Read and validate a config file; with no file (and not `required`) the built-in sources."""
    if path is None or (not Path(path).exists() and not required):
        return Config(sources=BUILTIN_SOURCES)
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    return parse_config(data, p)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "config"
    unknown = set(data) - {"source", "notify", "timezone", "run", "fetch"}
    if unknown:
        raise ConfigError(f"{where}: unknown table or key {sorted(unknown)[0]!r}")
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"{where}: needs at least one [[source]] table")
    sources = [_source(where, i, s) for i, s in enumerate(raw_sources)]
    names: set[str] = set()
    for source in sources:
        if source.name in names:
            raise ConfigError(f"{where}: source name {source.name!r} is used twice")
        names.add(source.name)
    raw_notify = data.get("notify", [])
    if not isinstance(raw_notify, list):
        raise ConfigError(f"{where}: notify: must be [[notify]] tables")
    notify = [_tagged(where, i, _notify(where, i, n, names), sources)
              for i, n in enumerate(raw_notify)]
    seen: dict[str, int] = {}
    for i, target in enumerate(notify):
        if target.key in seen:
            raise ConfigError(f"{where}: notify[{i}]: the same channel as notify[{seen[target.key]}]"
                              + (" (its name)" if target.name else " (give each a name)"))
        seen[target.key] = i
    timezone = data.get("timezone", "UTC")
    if not isinstance(timezone, str) or not _is_zone(timezone):
        raise ConfigError(f"{where}: timezone: {timezone!r} is not a time zone such as 'Europe/Vilnius'")
    return Config(tuple(sources), tuple(notify), path, timezone, _run(where, data.get("run", {})),
                  _fetch(where, data.get("fetch", {}), path.parent if path else Path.cwd()))


def _fetch(where: str, raw: Any, folder: Path) -> FetchSettings:
    at = f"{where}: fetch"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: must be a table")
    fields = FetchSettings.__dataclass_fields__
    if extra := set(raw) - set(fields):
        raise ConfigError(f"{at}: unknown field {sorted(extra)[0]!r}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = fields[key].default
        if key == "allow":
            if not isinstance(value, list):
                raise ConfigError(f"{at}: allow: a list of networks and host names, such as "
                                  '["10.20.0.0/16", "intranet.example"]')
            try:
                values[key] = Allowance.parse(value)
            except ValueError as e:
                raise ConfigError(f"{at}: {e}") from None
        elif key == "proxy":
            values[key] = _proxy(at, value)
        elif key == "no_proxy":
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                      for v in value):
                raise ConfigError(f"{at}: no_proxy: a list of hosts, domains and networks, such "
                                  'as ["intranet.example", "10.0.0.0/8"]')
            values[key] = tuple(v.strip() for v in value)
        elif key == "ca_bundle":
            values[key] = _ca_bundle(at, value, folder)
        elif key in ("user_agent", "browser"):
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{at}: {key}: must be a non-empty string")
            values[key] = value
        elif key == "max_bytes":
            if not isinstance(value, int) or value < 1024 or isinstance(value, bool):
                raise ConfigError(f"{at}: max_bytes: must be a whole number of bytes, at least 1024")
            values[key] = value
        elif isinstance(default, int) and not isinstance(default, bool) and key != "min_delay":
            least = 0 if key in ("retries", "processes") else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ConfigError(f"{at}: {key}: must be a whole number ({least} or more)")
            values[key] = value
        else:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{at}: {key}: must be a number of seconds (0 or more)")
            values[key] = float(value)
    return FetchSettings(**values)


def _proxy(at: str, value: Any) -> str:
    """A proxy URL, checked; the error never quotes its password."""
    from . import proxies

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{at}: proxy: a proxy URL such as 'http://proxy.example:3128'")
    try:
        return proxies.check(value.strip())
    except ValueError as e:
        raise ConfigError(f"{at}: proxy: {e}") from None


def _ca_bundle(at: str, value: Any, folder: Path) -> str:
    """A PEM file of CAs (relative to the config file's folder), read now: a missing or broken
    one is a config error, not a TLS failure on every page."""
    import ssl

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{at}: ca_bundle: the path of a PEM file of CA certificates")
    path = (folder / Path(value).expanduser()).resolve()
    try:
        ssl.create_default_context(cafile=str(path))
    except FileNotFoundError:
        raise ConfigError(f"{at}: ca_bundle: {path}: file not found") from None
    except (OSError, ssl.SSLError) as e:
        raise ConfigError(f"{at}: ca_bundle: {path}: not a PEM file of CA certificates "
                          f"({getattr(e, 'reason', None) or e})") from None
    return str(path)


def _is_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _run(where: str, raw: Any) -> RunSettings:
    at = f"{where}: run"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: must be a table")
    if extra := set(raw) - _RUN_KEYS:
        raise ConfigError(f"{at}: unknown field {sorted(extra)[0]!r}")
    values: dict[str, Any] = {}
    raw = dict(raw)
    if "base_url" in raw:
        base = raw.pop("base_url")
        if isinstance(base, str) and (urlsplit(base).password or urlsplit(base).query):
            raise ConfigError(f"{at}: base_url: give it without a password or a query: it is "
                              "written into every alert")
        if not isinstance(base, str) or not re.match(r"^https?://[^/\s]+[^\s]*$", base):
            raise ConfigError(f"{at}: base_url: {base!r} is not an http(s) URL "
                              "(where Datasette serves the database, as people reach it)")
        values["base_url"] = base.rstrip("/")
    for key, value in raw.items():
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            values[key] = seconds(value)
        except ValueError:
            raise ConfigError(f"{at}: {key}: {value!r} is not a duration like '30s', '5m' or '1h'") from None
    return RunSettings(**values)


def _source(where: str, i: int, raw: Any) -> Source:
    at = f"{where}: source[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: must be a table")
    if extra := set(raw) - _SOURCE_KEYS:
        raise ConfigError(f"{at}: unknown field {sorted(extra)[0]!r}")
    name = _str(at, raw, "name", required=True)
    at = f"{where}: source {name!r}"
    if not _NAME_RE.match(name):
        raise ConfigError(f"{at}: name: use letters, digits, '-', '_' or '.'")
    url = _str(at, raw, "url", required=True)
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"{at}: url: {url!r} is not an http(s) URL")
    every, cron = _str(at, raw, "every"), _str(at, raw, "cron")
    if every and cron:
        raise ConfigError(f"{at}: every, cron: give one schedule, not both")
    if every:
        try:
            seconds(every)
        except ValueError as e:
            raise ConfigError(f"{at}: every: {e}") from None
    if cron:
        _check_cron(at, cron)
    exclude = _strings(at, raw, "exclude")
    content = _str(at, raw, "content")
    for key, selector in [("content", content)] + [("exclude", x) for x in exclude]:
        if selector:
            _check_selector(at, key, selector)
    ignore = _strings(at, raw, "ignore")
    for pattern in ignore:
        try:
            re.compile(pattern)
        except re.error as e:
            raise ConfigError(f"{at}: ignore: {pattern!r} is not a regular expression: {e}") from None
    alert = raw.get("alert", {})
    if not isinstance(alert, dict) or any(
        k not in CATEGORIES or not isinstance(v, bool) for k, v in alert.items()
    ):
        raise ConfigError(
            f"{at}: alert: must map categories ({', '.join(CATEGORIES)}) to true or false"
        )
    timeout = raw.get("timeout", 30.0)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{at}: timeout: must be a positive number of seconds")
    robots = raw.get("robots", True)
    if not isinstance(robots, bool):
        raise ConfigError(f"{at}: robots: must be true or false")
    documents = raw.get("documents", False)
    if documents is True:
        documents = "*.pdf"
    elif documents is False:
        documents = None
    elif not isinstance(documents, str) or not documents.strip():
        raise ConfigError(f"{at}: documents: true, false, or a file name pattern such as '*.pdf'")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k)
            and isinstance(v, str) and "\n" not in v for k, v in headers.items()):
        raise ConfigError(f"{at}: headers: must map header names to strings")
    tags = _strings(at, raw, "tags")
    render = _str(at, raw, "render")
    if render not in (None, "browser"):
        raise ConfigError(f"{at}: render: {render!r}: the one way to render a page is 'browser'")
    proxy = _proxy(at, raw["proxy"]) if "proxy" in raw else None
    lang = _str(at, raw, "lang")
    if lang is not None and not known_language(lang):
        raise ConfigError(f"{at}: lang: {lang!r} is not a language code CLDR knows (e.g. 'lt', 'de')")
    return Source(
        memory=_memory(at, raw.get("memory", {})),
        name=_own(name), url=_own(url),
        every=_own(every) if every else (None if cron else "6h"),
        cron=_own(cron) if cron else None,
        rules=_shared(ParseRules(content=content, exclude=tuple(exclude), ignore=tuple(ignore),
                                 lang=lang)),
        alert=_shared_alert(alert), timeout=float(timeout), robots=robots, documents=documents,
        render=render, headers=tuple(headers.items()), tags=tuple(tags), proxy=proxy,
        match=_terms(at, raw),
    )


def _memory(at: str, raw: Any) -> MemoryWindow:
    """`memory = {versions = 10, days = 30}`: how far back a change is held against what the
    page showed (either part may be left out; versions = 0 compares with the last only)."""
    if not isinstance(raw, dict) or set(raw) - {"versions", "days"}:
        raise ConfigError(f"{at}: memory: must be a table such as {{versions = 10, days = 30}}")
    default = MemoryWindow()
    versions, days = raw.get("versions", default.versions), raw.get("days", default.days)
    if not isinstance(versions, int) or isinstance(versions, bool) or versions < 0:
        raise ConfigError(f"{at}: memory: versions: must be a whole number (0 or more)")
    if not isinstance(days, (int, float)) or isinstance(days, bool) or days <= 0:
        raise ConfigError(f"{at}: memory: days: must be a positive number of days")
    return default if (versions, days) == (default.versions, default.days) else \
        MemoryWindow(versions, float(days))


def _own(text: str) -> str:
    """A copy of a string the TOML parser made. The sources keep theirs for the whole run, and
    tomllib's, strewn among its parse tree's objects, would keep that tree's memory from
    being freed (100,000 sources: 28 MB of a run's peak)."""
    return text.encode().decode()


def _shared(rules: ParseRules) -> ParseRules:
    """One object for equal rules: 100,000 sources mostly share the default ones, and each
    copy was 100 bytes in every process of a run."""
    return _RULES.setdefault(rules, rules)


def _shared_alert(alert: dict[str, bool]) -> dict[str, bool]:
    """One dict for equal alert overrides (never written to after loading)."""
    return _ALERTS.setdefault(frozenset(alert.items()), dict(alert))


_RULES: dict[ParseRules, ParseRules] = {}
_ALERTS: dict[frozenset, dict[str, bool]] = {}


def _notify(where: str, i: int, raw: Any, names: set[str]) -> NotifyTarget:
    at = f"{where}: notify[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: must be a table")
    if extra := set(raw) - _NOTIFY_KEYS:
        raise ConfigError(f"{at}: unknown field {sorted(extra)[0]!r}")
    url = _str(at, raw, "url", required=True)
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        raise ConfigError(f"{at}: url: not an Apprise URL such as 'mailto://…'")
    from .notify import channel_problem  # Apprise is loaded only for [[notify]]
    from .redact import channel_display

    if problem := channel_problem(url):
        raise ConfigError(f"{at}: url {channel_display(url)}: {problem}")
    name = _str(at, raw, "name")
    if name is not None and not re.fullmatch(r"[\w.@+-]{1,64}", name):
        raise ConfigError(f"{at}: name: {name!r} is not a name (letters, digits, . _ - @ +)")
    sources = _strings(at, raw, "sources")
    if missing := [s for s in sources if s not in names]:
        raise ConfigError(f"{at}: sources: no source named {missing[0]!r}")
    categories = _strings(at, raw, "categories")
    names_ok = (*CATEGORIES, "status", *STATUS_EVENTS)
    if bad := [c for c in categories if c not in names_ok]:
        raise ConfigError(f"{at}: categories: {bad[0]!r} is not one of {', '.join(names_ok)}")
    floor = raw.get("min_significance", 0.0)
    if not isinstance(floor, (int, float)) or not 0 <= floor <= 1:
        raise ConfigError(f"{at}: min_significance: must be a number from 0 to 1")
    digest = _str(at, raw, "digest") or "immediate"
    if digest not in DIGESTS:
        raise ConfigError(f"{at}: digest: must be one of {', '.join(DIGESTS)}")
    tags = _strings(at, raw, "tags")
    return NotifyTarget(url, tuple(sources), tuple(categories), float(floor), digest, name,
                        tuple(tags), _terms(at, raw))


def _tagged(where: str, i: int, target: NotifyTarget, sources: list[Source]) -> NotifyTarget:
    """A channel filtered by tags carries the sources with those tags among its `sources`."""
    if not target.tags:
        return target
    tagged = [s.name for s in sources if set(s.tags) & set(target.tags)]
    if not tagged:
        raise ConfigError(f"{where}: notify[{i}]: tags: no source is tagged "
                          + " or ".join(repr(t) for t in target.tags))
    return replace(target, sources=tuple(dict.fromkeys([*target.sources, *tagged])))


def _str(at: str, raw: dict, key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{at}: {key}: missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{at}: {key}: must be a non-empty string")
    return value.strip()


def _strings(at: str, raw: dict, key: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{at}: {key}: must be a string or a list of strings")
    return value


def _terms(at: str, raw: dict) -> tuple[str, ...]:
    """`match`: the terms a change must mention (see `matching`), each checked now."""
    from .matching import BadTerm, parse_term

    terms = _strings(at, raw, "match")
    for term in terms:
        try:
            parse_term(term)
        except BadTerm as e:
            raise ConfigError(f"{at}: match: {e}") from None
    return tuple(terms)


def _check_selector(at: str, key: str, selector: str) -> None:
    """A CSS selector, or an XPath expression written `xpath:…` (or starting with `/`)."""
    from .parsing.root import xpath_of

    if (path := xpath_of(selector)) is not None:
        from lxml import etree

        try:
            etree.XPath(path)
        except etree.XPathSyntaxError as e:
            raise ConfigError(f"{at}: {key}: {selector!r} is not an XPath expression: {e}") \
                from None
        return
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as e:
        raise ConfigError(f"{at}: {key}: {selector!r} is not a CSS selector: {e}") from None


def _check_cron(at: str, cron: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(cron)
    except ValueError as e:
        raise ConfigError(f"{at}: cron: {cron!r} is not a crontab expression: {e}") from None
