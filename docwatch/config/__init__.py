"""The TOML configuration: `[[source]]` and `[[notify]]` tables, validated field by field."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..models import FetchSettings, NotifyTarget, Source
from .channels import _notify, _tagged
from .fetching import _fetch
from .fields import seconds
from .sources import _source

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
