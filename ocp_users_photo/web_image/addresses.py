"""Where a host may be reached: resolve its name once and refuse every internal address.

A host is used only if EVERY address it resolves to is public. Picking the public
ones out of a mixed answer would also be safe (the fetch connects to an address
checked here, never to the name), but a name that points both outside and inside
is a misconfiguration or a DNS-rebinding attempt, and the person who allowed the
host should hear about it rather than get a fetch that works one time in two.

Refused: loopback, unspecified, private, link-local, site-local, multicast,
reserved, shared (100.64.0.0/10) and every range IANA marks not globally reachable,
for IPv4 and IPv6 alike. Addresses that carry an IPv4 address inside an IPv6 one
are judged by the IPv4 address: IPv4-mapped (``::ffff:a.b.c.d``, which a dual-stack
socket connects to as IPv4), NAT64 (``64:ff9b::/96``, which a NAT64 gateway
translates) and 6to4 (``2002::/16``, which relays tunnel to the embedded address).
Teredo (``2001::/32``) and local-use NAT64 (``64:ff9b:1::/48``) are refused outright:
they are client tunnels and site-local translations, never an image server's address.
Two ranges IANA marks not globally reachable are named here, not left to ``ipaddress``,
whose lists in older Pythons (3.11.7, for one) call them global: 192.0.0.0/24 (IETF
protocol assignments, but for its two anycast addresses) and 3fff::/20 (documentation,
RFC 9637).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, TypeAlias

from ocp_users_photo.worker_threads import in_lookup_thread

__all__ = [
    "IPAddress",
    "Resolver",
    "address_refusal",
    "is_loopback",
    "parse_address",
    "system_resolver",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host name, port) -> the addresses it resolves to, as text.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_NAT64_WELL_KNOWN: Final = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE: Final = ipaddress.IPv6Network("64:ff9b:1::/48")
_TEREDO: Final = ipaddress.IPv6Network("2001::/32")
_SHARED: Final = ipaddress.IPv4Network("100.64.0.0/10")
_IETF_PROTOCOL_ASSIGNMENTS: Final = ipaddress.IPv4Network("192.0.0.0/24")
# The two addresses in it that IANA marks globally reachable (PCP and TURN anycast).
_GLOBAL_ANYCAST: Final = frozenset(
    {ipaddress.IPv4Address("192.0.0.9"), ipaddress.IPv4Address("192.0.0.10")}
)
_DOCUMENTATION_V6: Final = ipaddress.IPv6Network("3fff::/20")


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """The system's answer for ``host``: getaddrinfo in a lookup thread of the package's
    own (worker_threads.py), so a name server that never answers holds neither the
    loop's executor nor the program's exit past the fetch's deadline."""
    answers = await in_lookup_thread(
        functools.partial(
            socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    )
    addresses: dict[str, None] = {}
    for family, _type, _proto, _name, sockaddr in answers:
        if family in (socket.AF_INET, socket.AF_INET6):
            addresses[str(sockaddr[0])] = None
    return list(addresses)


def address_refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``address`` may not be connected to (e.g. "a private address"), or None if public."""
    if allow_loopback and is_loopback(address):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = address_refusal(embedded, allow_loopback=False)
            return None if reason is None else f"{reason} (inside an IPv6 address)"
        if address in _TEREDO:
            return "a Teredo tunnel address"
        if address in _NAT64_LOCAL_USE:
            return "a local-use NAT64 address"
        if address.is_site_local:
            return "a site-local address"
    return _general_refusal(address)


def _general_refusal(address: IPAddress) -> str | None:
    # Checked one by one, so the message names the kind; `not is_global` catches the rest
    # of IANA's special-purpose ranges (documentation, benchmarking, 192.0.0.0/24...).
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if _not_globally_reachable(address):
        return "an address that is not globally reachable"
    if not address.is_global:
        return "an address that is not globally reachable"
    return None


def _not_globally_reachable(address: IPAddress) -> bool:
    """IANA's not globally reachable ranges that older ``ipaddress`` lists call global."""
    if isinstance(address, ipaddress.IPv4Address):
        return address in _IETF_PROTOCOL_ASSIGNMENTS and address not in _GLOBAL_ANYCAST
    return address in _DOCUMENTATION_V6


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def is_loopback(address: IPAddress) -> bool:
    """Loopback, also as an IPv4-mapped IPv6 address (which a dual-stack socket reaches)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def parse_address(text: str) -> IPAddress | None:
    """An address from a resolver's text (an IPv6 zone such as ``%eth0`` dropped), or None."""
    try:
        return ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
