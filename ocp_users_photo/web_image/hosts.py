"""Host names as one canonical text, and the allow-list entries they are matched against.

A host is compared only after it is made canonical: IDNA 2008 with UTS #46 mapping
(so a name in full-width letters is the plain ASCII name, and a look-alike in another
script is its own ``xn--`` name, never the name it imitates), lower case, one trailing
dot dropped. Hosts that different URL parsers read differently are refused rather than
interpreted: percent signs, a number that some parsers take for an IPv4 address
(``2130706433``, ``0x7f.1``, ``0177.0.0.1``), an IPv6 zone.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import idna

__all__ = [
    "HostRule",
    "InvalidHost",
    "canonical_host",
    "host_rule",
    "host_rules",
    "is_ip_literal",
    "matching_rule",
]

_MAX_HOST_CHARS: Final = 253
_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ASCII_NAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# WHATWG's URL parser takes a host whose last label is a number (decimal, 0x-hex or
# empty-hex) as an IPv4 address in any of its old forms; browsers and curl agree.
_NUMERIC_LABEL: Final = re.compile(r"[0-9]+|0x[0-9a-f]*")


class InvalidHost(ValueError):
    """A text that is not a host name or address this module accepts; the message says why."""


def canonical_host(text: str) -> str:
    """``text`` as a canonical host: an ASCII name, a dotted-quad IPv4 or a compressed IPv6.

    An IPv6 address comes with or without its brackets. Raises InvalidHost.
    """
    if not text:
        raise InvalidHost("the host is empty")
    if len(text) > _MAX_HOST_CHARS + 2:
        raise InvalidHost(f"the host is longer than {_MAX_HOST_CHARS} characters")
    if "%" in text:
        raise InvalidHost("the host holds a percent sign: write the host name out plainly")
    if text.startswith("[") or ":" in text:
        return _canonical_ipv6(text)
    name = text[:-1] if text.endswith(".") else text
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise InvalidHost("the host is not a valid host name") from None
    if ascii_name.endswith(".") and name == text:
        # A full stop UTS #46 maps to "." (U+3002, U+FF0E) ends the name: the one trailing dot.
        # After a "." already dropped it is a second, refused below as "allowed.test.." is.
        ascii_name = ascii_name[:-1]
    last_label = ascii_name.rpartition(".")[2]
    if _NUMERIC_LABEL.fullmatch(last_label):
        return _canonical_ipv4(ascii_name)
    if len(ascii_name) > _MAX_HOST_CHARS or not _ASCII_NAME.fullmatch(ascii_name):
        raise InvalidHost("the host is not a valid host name")
    return ascii_name


def _canonical_ipv4(text: str) -> str:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise InvalidHost(
            "the host is a number in a form other than a.b.c.d (decimal, octal or hex "
            "forms are read differently by different programs): write the address as a.b.c.d"
        ) from None
    return str(address)


def _canonical_ipv6(text: str) -> str:
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.IPv6Address(inner)
    except ValueError:
        raise InvalidHost("the host is not a valid IPv6 address") from None
    return address.compressed


def is_ip_literal(host: str) -> bool:
    """Whether a canonical host is an address rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class HostRule:
    """One allow-list entry: an exact host, or (``suffix``) every name under a domain."""

    host: str
    suffix: bool = False

    def matches(self, host: str) -> bool:
        """Whether the canonical ``host`` is allowed by this entry."""
        if self.suffix:
            return host.endswith("." + self.host)
        return host == self.host

    def __str__(self) -> str:
        return "." + self.host if self.suffix else self.host


def host_rule(entry: str) -> HostRule:
    """Parse an allow-list entry: ``images.example.com``, ``.example.com`` or an IP address."""
    how = (
        "give a host name such as images.example.com, or .example.com for every name "
        "under example.com"
    )
    if not isinstance(entry, str):
        raise InvalidHost(f"an allowed URL host must be text, not {type(entry).__name__}: {how}")
    text = entry.strip()
    if not text or any(mark in text for mark in ("/", "*", "@", "\\", " ")):
        raise InvalidHost(f"allowed URL host {entry[:80]!r} is not a host name: {how}")
    suffix = text.startswith(".")
    body = text[1:] if suffix else text
    if body.count(":") == 1 and not body.startswith("["):
        raise InvalidHost(
            f"allowed URL host {entry[:80]!r} has a port: give the host alone (every port "
            "of an allowed host is allowed)"
        )
    try:
        host = canonical_host(body)
    except InvalidHost as error:
        raise InvalidHost(f"allowed URL host {entry[:80]!r}: {error}; {how}") from None
    if suffix:
        if is_ip_literal(host):
            raise InvalidHost(
                f"allowed URL host {entry[:80]!r}: an address cannot be a suffix: give it "
                "without the leading dot"
            )
        if "." not in host:
            raise InvalidHost(
                f"allowed URL host {entry[:80]!r} would allow every host under a top-level "
                "domain: give a domain under it, such as .example.com"
            )
    return HostRule(host, suffix)


def host_rules(entries: Iterable[str]) -> tuple[HostRule, ...]:
    """Every entry parsed (duplicates dropped, order kept); raises InvalidHost for a bad one."""
    if isinstance(entries, str):
        raise InvalidHost(
            "allowed URL hosts must be a list of host names, not one text: write "
            f"url_hosts=[{entries[:80]!r}]"
        )
    rules: dict[HostRule, None] = {}
    for entry in entries:
        rules[host_rule(entry)] = None
    return tuple(rules)


def matching_rule(host: str, rules: Iterable[HostRule]) -> HostRule | None:
    """The first entry that allows the canonical ``host``, if any."""
    return next((rule for rule in rules if rule.matches(host)), None)
