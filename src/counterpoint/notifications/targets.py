"""Where a listener may be: the network half of the listener URL policy (the syntax half is core's).

In production mode a callback may not point into the Seller's own networks: loopback, private, link-local
(which holds the cloud metadata address 169.254.169.254), shared, reserved, multicast or unspecified
addresses are refused unless the operator allow-lists them (a host name, or a network in CIDR notation).
The check runs at registration for IP literals and well-known local names, and again at every delivery on
the addresses the host name resolves to; the delivery then connects to the address that was checked, so a
name that resolves differently a moment later (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from counterpoint.core.hub.model import Callback
from counterpoint.core.shared.errors import BadRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_LOCAL_NAMES = ("localhost", "metadata", "metadata.google.internal", "instance-data")


class TargetRefused(Exception):
    """A delivery target resolves to an address the policy does not allow."""


def _internal(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


@dataclass(frozen=True)
class TargetPolicy:
    """`enforce` is production mode; `allowed` names the hosts and networks allowed anyway."""

    enforce: bool = False
    allowed: tuple[str, ...] = ()
    _names: frozenset[str] = field(init=False, repr=False)
    _networks: tuple[IPNetwork, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names, networks = set(), []
        for entry in self.allowed:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                names.add(entry.strip().lower().rstrip("."))
        object.__setattr__(self, "_names", frozenset(names))
        object.__setattr__(self, "_networks", tuple(networks))

    @classmethod
    def of(cls, *, production: bool, allowed: Iterable[str] = ()) -> TargetPolicy:
        return cls(enforce=production, allowed=tuple(allowed))

    def _host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self._names

    def address_allowed(self, ip: IPAddress) -> bool:
        return not self.enforce or not _internal(ip) or any(ip in n for n in self._networks)

    def check_registration(self, cb: Callback) -> None:
        """Refuse (400) what is internal without resolving anything: IP literals and local names."""
        if not self.enforce or self._host_allowed(cb.host):
            return
        host = cb.host.lower().rstrip(".")
        if cb.is_ip_literal:
            if not self.address_allowed(ipaddress.ip_address(host)):
                raise BadRequest(f"callback address {host} is not reachable from this Seller (internal network)")
        elif host in _LOCAL_NAMES or host.endswith((".localhost", ".local", ".internal")):
            raise BadRequest(f"callback host {host} is not reachable from this Seller (internal network)")

    async def resolve(self, cb: Callback) -> IPAddress | None:
        """The address to connect to, checked; None when the policy does not apply (no pinning needed)."""
        if not self.enforce or self._host_allowed(cb.host):
            return None
        if cb.is_ip_literal:
            addresses = [ipaddress.ip_address(cb.host)]
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    cb.host, cb.port or (443 if cb.scheme == "https" else 80), type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise TargetRefused(f"cannot resolve {cb.host}: {exc}") from None
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        refused = [str(a) for a in addresses if not self.address_allowed(a)]
        if refused or not addresses:
            raise TargetRefused(f"{cb.host} resolves to internal address(es) {', '.join(refused)[:200]}")
        return addresses[0]
