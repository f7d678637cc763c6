"""The `[fetch]` table: politeness, retries, the browser, the boundary, proxies and CAs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..boundary import Allowance
from ..errors import ConfigError
from ..models import FetchSettings

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
    from .. import proxies

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
