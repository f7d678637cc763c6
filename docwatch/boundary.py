"""Where a URL the operator did not write may lead: the network boundary.

A source's URL is the operator's choice, whatever it names. A URL a page chose (a linked
document, a redirect, a `<meta refresh>`, a script's request while rendering) may reach the
source's own host, a public address, or what `[fetch] allow` names (networks in CIDR form,
host names, `*.example` for a domain); never, else, an address of this machine or of a private
network: loopback, RFC 1918 and carrier-grade NAT, unique local (ULA), link-local (where cloud
metadata lives), multicast, reserved or unspecified. Addresses are judged when the connection
is made, so a name that resolves inward (DNS rebinding) is refused as the address it is.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def home_of(url: str) -> str:
    """The host a URL names, as the boundary compares hosts: no port, no credentials."""
    return (urlsplit(url).hostname or "").rstrip(".")


def address_class(ip: str) -> str | None:
    """The kind of inward address `ip` is ("loopback", "private", …), None when public."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "unparseable"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if addr.is_unspecified:
        return "unspecified"
    if isinstance(addr, ipaddress.IPv6Address) and addr in ipaddress.ip_network("fc00::/7"):
        return "unique local"
    if addr.is_private or addr in _CGNAT:
        return "private"
    if addr.is_reserved or not addr.is_global:
        return "reserved"
    return None


@dataclass(frozen=True)
class Allowance:
    """What `[fetch] allow` lets a URL the operator did not write reach, besides the public
    internet: networks ("10.20.0.0/16", "127.0.0.2") and hosts ("intranet.example",
    "*.intranet.example")."""

    networks: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    @classmethod
    def parse(cls, entries: list[str] | tuple[str, ...]) -> Allowance:
        """`ValueError` naming an entry that is neither a network nor a host name."""
        networks, hosts = [], []
        for entry in entries:
            if not isinstance(entry, str) or not entry.strip():
                raise ValueError(f"allow: {entry!r} is neither a network nor a host name")
            entry = entry.strip().lower()
            try:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                if not all(part.isalnum() or "-" in part or part == "*"
                           for part in entry.split(".")):
                    raise ValueError(f"allow: {entry!r} is neither a network (CIDR) nor a "
                                     "host name") from None
                hosts.append(entry)
        return cls(tuple(networks), tuple(hosts))

    def refuses(self, host: str, ip: str) -> str | None:
        """Why a connection to `host` at `ip` is refused ("a loopback address"), or None."""
        kind = address_class(ip)
        if kind is None or self._names(host):
            return None
        try:
            addr = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return f"an {kind} address"
        if any(addr in ipaddress.ip_network(n) for n in self.networks):
            return None
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"

    def _names(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or h.startswith("*.") and host.endswith(h[1:]) for h in self.hosts)
