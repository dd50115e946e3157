"""The SSRF guard: which destinations a client may connect to.

By default a client refuses any destination whose address is loopback, private,
link-local, multicast, unspecified, reserved or otherwise not globally routable. The check
runs on the addresses the connection will really use:

* an IP literal in the URL is checked before connecting, on the first URL and on every
  redirect (the client follows redirects itself, re-checking each hop);
* a host name is checked inside the session's DNS resolver, after resolution; the
  connector connects to exactly the addresses that passed, so a DNS answer that changes
  between check and connect (DNS rebinding) cannot slip through.

An IPv6 address that embeds an IPv4 address (IPv4-mapped ``::ffff:0:0/96``, 6to4
``2002::/16``, NAT64 ``64:ff9b::/96``, the Teredo client of ``2001::/32``) is refused when
the embedded address is: a relay or a NAT64 gateway would deliver it there.

``allowed_hosts`` lists host names (``"api.internal"``, ``".svc.cluster.local"`` for
subdomains), IP addresses or networks (``"10.1.0.0/16"``) that may be reached even so. An
entry without a port allows every port of that host; ``"api.internal:8443"`` or
``"[fd00::1]:8001"`` allows that port only. ``allow_private=True`` turns the address check
off for the client.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from django_asyncx.exceptions import BlockedDestination
from django_asyncx.options import split_host_port

__all__ = ["Guard", "GuardedResolver", "address_refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the name of the scheme, or ``None``."""
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address.teredo is not None:
        return "Teredo", address.teredo[1]
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` is refused by default (``"loopback"``, ``"private"``...), or ``None``.

    An IPv6 address embedding a refused IPv4 address gets that address's reason, with the
    embedding named: ``"loopback (6to4 of 127.0.0.1)"``.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif (embedded := _embedded(address)) is not None:
            kind, inner = embedded
            reason = address_refusal(inner)
            if reason is not None:
                return f"{reason} ({kind} of {inner})"
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
    """The policy of one client: ``allowed_hosts`` and ``allow_private`` (see module doc).

    Each entry is kept with its port (``None``: every port).
    """

    def __init__(self, allowed_hosts: tuple[str, ...] = (), *, allow_private: bool = False):
        self.allow_private = allow_private
        self.names: list[tuple[str, int | None]] = []
        self.suffixes: list[tuple[str, int | None]] = []
        self.networks: list[tuple[IPNetwork, int | None]] = []
        for entry in allowed_hosts:
            host, port = split_host_port(entry)
            try:
                self.networks.append((ipaddress.ip_network(host, strict=False), port))
            except ValueError:
                group = self.suffixes if host.startswith(".") else self.names
                group.append((host.lower().rstrip("."), port))

    def host_allowed(self, host: str, port: int | None = None) -> bool:
        """Whether ``host`` (a name) on ``port`` is exempt from the address check."""
        host = host.lower().rstrip(".")
        return self.allow_private or any(
            (host == name if not name.startswith(".") else host.endswith(name))
            and allowed in (None, port)
            for name, allowed in (*self.names, *self.suffixes)
        )

    def check(self, host: str, address: str, port: int | None = None) -> None:
        """Raise :class:`BlockedDestination` if ``host``, resolved to ``address``, is refused."""
        if self.host_allowed(host, port):
            return
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in network and allowed in (None, port) for network, allowed in self.networks):
            return
        reason = address_refusal(ip)
        if reason is not None:
            where = host if host == address else f"{host} (resolved to {address})"
            if port is not None:
                where += f" port {port}"
            raise BlockedDestination(
                f"refused to connect to {where}: {reason} address; list the host (or "
                "host:port) in the client's allowed_hosts or set allow_private to reach it",
                host=host,
                reason=reason,
            )

    def check_literal(self, host: str, port: int | None = None) -> None:
        """Check a URL's host when it is an IP literal; names are checked at resolution."""
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return
        self.check(host.strip("[]"), host.strip("[]"), port)


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
        if not self.guard.host_allowed(host, port):
            for result in results:
                self.guard.check(host.rstrip("."), result["host"], port)
        return results

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self.resolver.close()
