"""What an image fetch may do: which hosts, which schemes, how many redirects, bytes and seconds.

``UrlPolicy`` is a frozen value built once from configuration (``url_hosts``,
``--allow-url-host``, the byte cap of files) and handed to every fetch.
``check_image_url`` applies its URL rules without touching the network; every
redirect is checked by it again.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from ocp_users_photo.safe_text import shown
from ocp_users_photo.settings import is_loopback
from ocp_users_photo.slack.deadlines import check_seconds
from ocp_users_photo.web_image.addresses import address_refusal
from ocp_users_photo.web_image.hosts import (
    HostRule,
    InvalidHost,
    canonical_host,
    host_rules,
    matching_rule,
)
from ocp_users_photo.web_image.refusals import (
    BadImageUrl,
    HostNotAllowed,
    SchemeNotAllowed,
)
from ocp_users_photo.web_image.urls import MAX_URL_CHARS, ImageUrl, parse_image_url

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_REDIRECTS", "UrlPolicy", "check_image_url"]

DEFAULT_MAX_BYTES: Final = 32 * 1024 * 1024
DEFAULT_MAX_REDIRECTS: Final = 3
_ALLOW_OPTION: Final = "url_hosts=[...] (command line: --allow-url-host)"


@dataclass(frozen=True)
class UrlPolicy:
    """The rules for fetching images from URLs; nothing is fetched unless a host is allowed.

    ``allowed_hosts``: exact names (``images.example.com``), suffixes with a leading dot
    (``.example.com``: every name under it, not ``example.com`` itself) or IP addresses;
    case and IDNA forms do not matter. Only https is fetched. Every address the host
    resolves to must be public (see ``addresses``); the one exception for tests is
    ``allow_loopback_for_tests`` (still https only). ``loopback_http_origin`` is the
    other exception: ``http://host:port`` of a Slack emulator on a loopback address,
    whose own image URLs may be fetched over plain http (undo keeps them).
    """

    allowed_hosts: Sequence[str] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    allow_loopback_for_tests: bool = False
    loopback_http_origin: str | None = None
    rules: tuple[HostRule, ...] = field(init=False, repr=False, compare=False)
    http_origin: tuple[str, str, int] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            rules = host_rules(self.allowed_hosts)
        except InvalidHost as error:
            raise ValueError(str(error)) from None
        _refuse_internal_rules(rules, allow_loopback=self.allow_loopback_for_tests)
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "allowed_hosts", tuple(str(rule) for rule in rules))
        object.__setattr__(self, "http_origin", _loopback_origin(self.loopback_http_origin))
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int):
            raise ValueError("max_bytes must be a whole number of bytes")
        if self.max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if isinstance(self.max_redirects, bool) or not isinstance(self.max_redirects, int):
            raise ValueError("max_redirects must be a whole number")
        if not 0 <= self.max_redirects <= 10:
            raise ValueError("max_redirects must be from 0 to 10")
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            seconds = getattr(self, name)
            check_seconds(name, seconds)

    @property
    def fetches_anything(self) -> bool:
        return bool(self.rules) or self.http_origin is not None

    def is_loopback_origin(self, url: ImageUrl) -> bool:
        """Whether ``url`` is on the emulator's own http origin (loopback addresses only)."""
        return self.http_origin is not None and url.origin == self.http_origin

    @classmethod
    def for_slack_image(
        cls,
        image_url: str,
        *,
        slack_base_url: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        total_timeout: float = 30.0,
    ) -> UrlPolicy:
        """The policy for one download of a photo Slack's own reply named (undo keeps it).

        Only that URL's host is allowed (https). When ``slack_base_url`` is plain http
        on a loopback address (the emulator), its own origin is allowed over http too.
        Raises BadImageUrl or SchemeNotAllowed when the reply's URL is unusable.
        """
        url = parse_image_url(image_url)
        base = parse_image_url(slack_base_url)
        origin = None
        if base.scheme == "http" and is_loopback(base.host):
            origin = f"http://{base.authority}"
        own_origin = origin is not None and url.origin == base.origin
        # An internal address is never allowed (a hostile reply may name one): left off the
        # list, it is refused by check_image_url, saying why.
        internal = _internal_address(url.host, allow_loopback=False) is not None
        hosts = () if own_origin or internal else (url.host,)
        return cls(
            allowed_hosts=hosts,
            max_bytes=max_bytes,
            max_redirects=DEFAULT_MAX_REDIRECTS,
            total_timeout=total_timeout,
            loopback_http_origin=origin,
        )


def check_verifying(ssl_context: ssl.SSLContext | None) -> None:
    """ValueError unless ``ssl_context`` (when given) verifies certificates and host names:
    an image fetched over TLS that checks nothing could come from anyone."""
    if ssl_context is not None and (
        ssl_context.verify_mode != ssl.CERT_REQUIRED or not ssl_context.check_hostname
    ):
        raise ValueError("ssl_context must verify certificates and host names")


def check_image_url(text: object, policy: UrlPolicy, *, redirected: bool = False) -> ImageUrl:
    """``text`` parsed and checked against the policy's scheme and host rules, offline.

    Raises BadImageUrl, SchemeNotAllowed or HostNotAllowed; the addresses are checked
    when the host is resolved, just before connecting.
    """
    where = "the image URL redirected to a URL that" if redirected else "the image URL"
    try:
        url = parse_image_url(text)
    except SchemeNotAllowed:
        if redirected:  # the server's choice, not the caller's URL: said so, not repeated
            raise SchemeNotAllowed(
                f"{where} is not https://: only https:// links are fetched; give the image's "
                "own https:// URL"
            ) from None
        raise
    except BadImageUrl as error:
        if redirected:
            raise BadImageUrl(_bad_redirect(error.message)) from None
        # A host that reads as an internal address ("127.1", "2130706433"): "write it as
        # a.b.c.d" would only lead to the refusal of that address in turn.
        internal = never_fetched(text, policy)
        if internal is not None:
            raise BadImageUrl(internal) from None
        raise
    if policy.is_loopback_origin(url):
        return url
    # The host first: "use the https:// address" for a host that is not allowed, or never
    # fetched from (an internal address), is advice that cannot work.
    if matching_rule(url.host, policy.rules) is None:
        raise HostNotAllowed(_host_message(url, policy, where, redirected=redirected))
    if url.scheme != "https":
        if redirected:
            # The image server chose that host (up to 253 characters of its own words): not
            # repeated, nor offered as the address to use.
            raise SchemeNotAllowed(
                f"{where} is plain {url.scheme}://: only https:// links are fetched, so "
                "nothing on the way can change the image; give the image's own https:// URL"
            )
        raise SchemeNotAllowed(
            f"{where} is plain {url.scheme}://{url.authority}: only https:// links are fetched, "
            "so nothing on the way can change the image; use the https:// address"
        )
    return url


def _host_message(url: ImageUrl, policy: UrlPolicy, where: str, *, redirected: bool) -> str:
    internal = _internal_address(url.host, allow_loopback=policy.allow_loopback_for_tests)
    if internal is not None:
        # Never "ask to allow it": no allow-list entry makes an internal address fetchable.
        # A host a redirect chose is the server's words: its kind is told, not its name.
        if redirected:
            return (
                f"the image URL redirected to {internal} (an internal address), which this "
                "tool never fetches from: use an image on a public host"
            )
        return (
            f"{where} is on {url.host}, {internal}, which this tool never fetches from: use an "
            "image on a public host"
        )
    allowed = ", ".join(policy.allowed_hosts[:10]) or "none"
    more = f" and {len(policy.allowed_hosts) - 10} more" if len(policy.allowed_hosts) > 10 else ""
    if not redirected and _internal_address(url.host, allow_loopback=False) is not None:
        # A test policy's loopback host: url_hosts (a policy of its own, for tests or not)
        # refuses it, so it is not offered; the test policy's own list is where it goes.
        return (
            f"{where} is on host {url.host}, which is not allowed (allowed: {allowed}{more}): "
            f"add {url.host} to the test policy's own list, UrlPolicy(allowed_hosts=[...], "
            "allow_loopback_for_tests=True); url_hosts and --allow-url-host never allow a "
            "loopback address"
        )
    if not policy.rules:
        return (
            "this tool fetches no image URLs: give the image as a file path, a data: URI or "
            f"base64 text, or ask whoever runs the tool to allow the host with {_ALLOW_OPTION}"
        )
    if redirected:
        # The image server chose that host (and its name, up to 253 characters of its own
        # words): neither repeated nor offered for the allow-list.
        return (
            f"{where} is on another host, which is not allowed (allowed: {allowed}{more}): "
            "give the image's own URL on an allowed host"
        )
    return (
        f"{where} is on host {url.host}, which is not allowed (allowed: {allowed}{more}): use "
        f"an image on an allowed host, or ask whoever runs the tool to add {url.host} with "
        f"{_ALLOW_OPTION}"
    )


def _refuse_internal_rules(rules: Sequence[HostRule], *, allow_loopback: bool) -> None:
    """An allow-list entry that is an internal address could never be fetched from: say so
    when the list is given, not at each call a model makes."""
    for rule in rules:
        internal = _internal_address(rule.host, allow_loopback=allow_loopback)
        if internal is not None:
            raise ValueError(
                f"allowed URL host {rule.host} is {internal}, which this tool never fetches "
                "from, whatever the allow-list says (so that no model can reach the host's "
                "own network): remove it, and serve the image from a public host"
            )


def never_fetched(text: object, policy: UrlPolicy) -> str | None:
    """Why the URL ``text`` could never be fetched whatever hosts were allowed (its host is
    an internal address or a loopback name), or None: a refusal then does not offer to
    allow the host, which --allow-url-host would refuse in turn."""
    if not isinstance(text, str) or len(text) > MAX_URL_CHARS:
        return None
    try:  # any scheme: http://127.0.0.1/ is as internal as https://localhost/
        host = urlsplit(text.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    internal = _internal_address(
        _as_resolvers_read(host), allow_loopback=policy.allow_loopback_for_tests
    )
    if internal is None:
        return None
    return (
        f"image is a web URL on {shown(host, 80)}, {internal}, which this tool never fetches from, "
        "whatever hosts are allowed: download the file first and give its path, a data: URI "
        "or base64 text"
    )


def _as_resolvers_read(host: str) -> str:
    """``host`` as a resolver reads it: canonical (one trailing dot dropped, IDNA), or an
    IPv4 address in a shorthand the C library takes (127.1, 2130706433, 0x7f.1), which
    the URL check refuses as no host at all. As written where it is neither."""
    try:
        return canonical_host(host)
    except InvalidHost:
        pass
    try:
        packed = socket.inet_aton(host.removesuffix("."))
    except (OSError, ValueError):  # no address in any shorthand (or a NUL in it)
        return host
    return str(ipaddress.IPv4Address(packed))


def _internal_address(host: str, *, allow_loopback: bool) -> str | None:
    """What kind of internal address ``host`` is ("a link-local address"); None for a name, a
    public address or (``allow_loopback``, as a test's policy may) loopback.

    ``localhost`` and the names under it count as loopback addresses: RFC 6761 has them
    resolve there (or nowhere), so no fetch from them could ever be let through.
    """
    if host == "localhost" or host.endswith(".localhost"):
        return None if allow_loopback else "a name of the loopback address (RFC 6761)"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return address_refusal(address, allow_loopback=allow_loopback)


def _loopback_origin(text: str | None) -> tuple[str, str, int] | None:
    if text is None:
        return None
    how = "give http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT"
    try:
        url = parse_image_url(text)
    except (BadImageUrl, SchemeNotAllowed) as error:
        raise ValueError(f"loopback_http_origin: {error.message}; {how}") from None
    if url.scheme != "http" or not is_loopback(url.host) or url.target not in ("/", ""):
        raise ValueError(f"loopback_http_origin must be a plain http origin on loopback: {how}")
    return url.origin


def _bad_redirect(message: str) -> str:
    """A refusal of a URL a redirect chose, said as the server's: the advice that follows
    the refusal's first colon ("remove it", "write '/' instead") speaks to whoever wrote
    the URL, and no caller wrote this one."""
    what = message.split(": ", 1)[0]
    for said, as_redirect in _SAID_OF_A_REDIRECT:
        what = what.replace(said, as_redirect)
    return (
        f"the image URL redirected to a URL that cannot be fetched, as {what}; the image "
        "server chose it, not the caller: give the image's own https:// URL"
    )


# How parse_image_url names the URL, said of the one a redirect chose: in this order.
_SAID_OF_A_REDIRECT: Final = (
    ("the image is not a URL", "it is not a URL"),
    ("the image URL's", "its"),
    ("the image URL", "it"),
)
