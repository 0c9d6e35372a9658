"""An image URL read strictly into scheme, canonical host, port and request target.

Anything that two URL parsers could read as two different hosts is refused, not
guessed at: a user name or password (``https://allowed.com@evil.com/``), a
backslash, a control character or space, a percent-encoded or numeric host. The
fragment is dropped (it is never sent). ``redacted`` is what may be shown or kept:
scheme, host, port and at most the last path segment when it looks like a file
name, never the query string or fragment, which often carry signatures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from ocp_users_photo.safe_text import has_lone_surrogate
from ocp_users_photo.web_image.hosts import InvalidHost, canonical_host, is_ip_literal
from ocp_users_photo.web_image.refusals import BadImageUrl, SchemeNotAllowed

__all__ = ["MAX_URL_CHARS", "ImageUrl", "looks_like_web_url", "parse_image_url", "redact_url"]

MAX_URL_CHARS: Final = 8192
DEFAULT_PORTS: Final = {"https": 443, "http": 80}
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
_SHOWN_SEGMENT: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,47}\.[A-Za-z0-9]{1,5}")
_FILE_STEM: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,47}")


@dataclass(frozen=True)
class ImageUrl:
    """A URL that parsed cleanly; ``target`` (path and query) is kept out of its repr."""

    scheme: str
    host: str
    port: int
    target: str = field(repr=False)

    @property
    def is_ip_literal(self) -> bool:
        return is_ip_literal(self.host)

    @property
    def host_in_url(self) -> str:
        """The host as written in a URL: IPv6 addresses in brackets."""
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def authority(self) -> str:
        """host[:port] as in a Host header, the port only when it is not the scheme's own."""
        if self.port == DEFAULT_PORTS[self.scheme]:
            return self.host_in_url
        return f"{self.host_in_url}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def full(self) -> str:
        """The URL to resolve a redirect's Location against (never shown or logged)."""
        return f"{self.scheme}://{self.authority}{self.target}"

    @property
    def last_segment(self) -> str:
        path = self.target.partition("?")[0]
        return path.rpartition("/")[2]

    @property
    def redacted(self) -> str:
        """scheme://host[:port]/ plus the last path segment if it looks like a file name."""
        segment = self.last_segment
        # A Slack token (xoxp-, xoxe-...) is never shown, even where it looks like a name.
        plain = _SHOWN_SEGMENT.fullmatch(segment) and "xox" not in segment.lower()
        shown = segment if plain else ""
        middle = "/.../" if shown and self.target.partition("?")[0].count("/") > 1 else "/"
        return f"{self.scheme}://{self.authority}{middle}{shown}"

    @property
    def filename_stem(self) -> str:
        """The file name's stem, when the last segment looks like one; else ``image``."""
        stem = self.last_segment.rpartition(".")[0] or self.last_segment
        return stem if _FILE_STEM.fullmatch(stem) else "image"


def parse_image_url(text: object) -> ImageUrl:
    """``text`` read as an http(s) URL; raises BadImageUrl or SchemeNotAllowed saying why."""
    if not isinstance(text, str):
        raise BadImageUrl(f"an image URL must be text, not {type(text).__name__}")
    stripped = text.strip(" \t\r\n\f\v")
    if len(stripped) > MAX_URL_CHARS:
        raise BadImageUrl(
            f"the image URL is longer than {MAX_URL_CHARS} characters: give a shorter link"
        )
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in stripped):
        raise BadImageUrl(
            "the image URL holds a space or control character: give the URL exactly, with "
            "spaces written as %20"
        )
    if not stripped.isascii() and has_lone_surrogate(stripped):
        raise BadImageUrl(
            "the image URL holds a character that is no text (a lone UTF-16 surrogate): give "
            "the URL exactly as the browser shows it"
        )
    if "\\" in stripped:
        raise BadImageUrl(
            "the image URL holds a backslash, which programs read differently: write '/' "
            "or %5C instead"
        )
    scheme_text, colon, rest = stripped.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme_text):
        raise BadImageUrl("the image is not a URL: give an https:// link to the image file")
    scheme = scheme_text.lower()
    if scheme not in DEFAULT_PORTS:
        raise SchemeNotAllowed(
            f"the image URL's scheme is {scheme!r}: only https:// links are fetched"
        )
    if not rest.startswith("//"):
        raise BadImageUrl(f"the image URL has no host: write it as {scheme}://host/path")
    try:
        parts = urlsplit(stripped)
    except ValueError:
        raise BadImageUrl("the image URL's host is malformed: check the address") from None
    netloc = parts.netloc
    if "@" in netloc:
        raise BadImageUrl(
            "the image URL holds a user name or password (before an '@'): remove it; "
            "credentials are never sent to image hosts"
        )
    host_text, port = _split_port(netloc, scheme)
    try:
        host = canonical_host(host_text)
    except InvalidHost as error:
        raise BadImageUrl(f"the image URL's host cannot be used: {_with_advice(error)}") from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return ImageUrl(scheme=scheme, host=host, port=port, target=target)


def _with_advice(error: InvalidHost) -> str:
    """``error``'s words, with what to do where they say only what is wrong ("the host is
    empty", as ``https:///host/`` gives): a refusal tells the caller how to mend the URL."""
    said = str(error)
    if ": " in said:
        return said
    return f"{said}: check the URL, written as https://host/path (the host as a browser shows it)"


def _split_port(netloc: str, scheme: str) -> tuple[str, int]:
    if netloc.startswith("["):
        end = netloc.find("]")
        host_text, port_text = netloc[: end + 1], netloc[end + 1 :]
        if end < 0 or (port_text and not port_text.startswith(":")):
            raise BadImageUrl("the image URL's IPv6 host is malformed: write it as [address]")
        port_text = port_text[1:]
    else:
        host_text, _, port_text = netloc.partition(":")
    if not port_text:
        return host_text, DEFAULT_PORTS[scheme]
    if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5:
        raise BadImageUrl("the image URL's port is not a number from 1 to 65535")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise BadImageUrl("the image URL's port is not a number from 1 to 65535")
    return host_text, port


def looks_like_web_url(text: str) -> bool:
    """Whether an ``image`` text is meant as a web URL (http or https, any case)."""
    head = text.lstrip(" \t\r\n\f\v")[:8].lower()
    return head.startswith(("https:", "http:"))


def redact_url(text: object) -> str:
    """What may be kept or shown of any URL text: see ``ImageUrl.redacted``; never raises."""
    try:
        return parse_image_url(text).redacted
    except (BadImageUrl, SchemeNotAllowed):
        return "(a URL that could not be read)"
