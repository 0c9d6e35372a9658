"""Whether a host name or address is loopback: localhost, 127.0.0.0/8 or ::1."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """True for "localhost" (any case, "*.localhost" too), 127.x.x.x and ::1 ("[::1]" too).

    Names are not resolved: a name is loopback only by what it says, so that a name
    that merely resolves to 127.0.0.1 (DNS rebinding) does not count.
    """
    name = host.strip().rstrip(".").lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    # ::ffff:127.0.0.1 is 127.0.0.1 (Python says so only from 3.13 on).
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def split_host_header(value: str) -> str | None:
    """The host of a Host header value ("127.0.0.1:8765", "[::1]:80", "localhost"); None if odd."""
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            return None
        rest = value[end + 1 :]
        if rest and not (rest.startswith(":") and rest[1:].isascii() and rest[1:].isdigit()):
            return None
        return value[: end + 1]
    host, colon, port = value.partition(":")
    if colon and not (port.isascii() and port.isdigit()):
        return None
    return host or None
