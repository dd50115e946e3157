"""The SSRF guard: which destinations a client may connect to.

By default a client refuses any destination whose address is loopback, private,
link-local, multicast, unspecified, reserved or otherwise not globally routable. The check
runs on the addresses the connection will really use:

* an IP literal in the URL is checked before connecting, on the first URL and on every
  redirect (the client follows redirects itself, re-checking each hop);
* a host name is checked inside the session's DNS resolver, after resolution; the
  connector connects to exactly the addresses that passed, so a DNS answer that changes
  between check and connect (DNS rebinding) cannot slip through.

``allowed_hosts`` lists host names (``"api.internal"``, ``".svc.cluster.local"`` for
subdomains), IP addresses or networks (``"10.1.0.0/16"``) that may be reached even so;
``allow_private=True`` turns the address check off for the client.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from django_asyncx.exceptions import BlockedDestination

__all__ = ["Guard", "GuardedResolver", "address_refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` is refused by default (``"loopback"``, ``"private"``...), or ``None``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for reason, refused in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    ):
        if refused:
            return reason
    return None


class Guard:
    """The policy of one client: ``allowed_hosts`` and ``allow_private`` (see module doc)."""

    def __init__(self, allowed_hosts: tuple[str, ...] = (), *, allow_private: bool = False):
        self.allow_private = allow_private
        self.names: set[str] = set()
        self.suffixes: tuple[str, ...] = ()
        self.networks: list[IPNetwork] = []
        suffixes = []
        for entry in allowed_hosts:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if entry.startswith("."):
                    suffixes.append(entry)
                else:
                    self.names.add(entry)
        self.suffixes = tuple(suffixes)

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` (a name) is exempt from the address check."""
        host = host.lower().rstrip(".")
        return self.allow_private or host in self.names or host.endswith(self.suffixes)

    def check(self, host: str, address: str) -> None:
        """Raise :class:`BlockedDestination` if ``host``, resolved to ``address``, is refused."""
        if self.host_allowed(host):
            return
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in network for network in self.networks):
            return
        reason = address_refusal(ip)
        if reason is not None:
            where = host if host == address else f"{host} (resolved to {address})"
            raise BlockedDestination(
                f"refused to connect to {where}: {reason} address; list the host in the "
                "client's allowed_hosts or set allow_private to reach it",
                host=host,
                reason=reason,
            )

    def check_literal(self, host: str) -> None:
        """Check a URL's host when it is an IP literal; names are checked at resolution."""
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return
        self.check(host.strip("[]"), host.strip("[]"))


class GuardedResolver(AbstractResolver):
    """aiohttp's default resolver, with every answer checked by a :class:`Guard`.

    Refusing the whole answer when any address is refused (rather than dropping that one)
    keeps a name that points both outside and inside from reaching the inside by retry.
    """

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and refuse the answer if the guard refuses any address in it."""
        results = await self.resolver.resolve(host, port, family)
        if not self.guard.host_allowed(host):
            for result in results:
                self.guard.check(host.rstrip("."), result["host"])
        return results

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self.resolver.close()
