"""Why an image URL was not fetched: one exception per kind, each a problem at ``$.image``.

    ImageUrlRefused              base; .kind names the case, .problem() is the $.image Problem
     ├── BadImageUrl             ├── TooManyRedirects        ├── HttpStatusRefused
     ├── SchemeNotAllowed        ├── ImageTooLarge           ├── TlsFailure
     ├── HostNotAllowed          ├── FetchTimedOut           └── ConnectionFailed
     ├── AddressRefused          └── NotAnImage

Each class's docstring says when it is raised and what the caller can do.
Messages name the host at most (never a path, query string or fragment, which often
carry signatures) and say what to do. No network exception is chained to them: its
text is the server's or the resolver's, and stays out of results and histories.
"""

from __future__ import annotations

import re
from typing import Final

from ocp_users_photo.errors import IMAGE_PATH, Problem, UsersPhotoError

__all__ = [
    "IMAGE_PATH",
    "AddressRefused",
    "BadImageUrl",
    "ConnectionFailed",
    "FetchTimedOut",
    "HostNotAllowed",
    "HttpStatusRefused",
    "ImageTooLarge",
    "ImageUrlRefused",
    "NotAnImage",
    "SchemeNotAllowed",
    "TlsFailure",
    "TooManyRedirects",
    "what_happened",
]


# The way round a host that is busy, failing or slow, for a caller who gives the image: not
# for the photo Slack shows, which the tool downloads itself to keep it (undo/shown_photo.py).
GIVE_IT_INSTEAD: Final = "download the image and give it as a file path, a data: URI or base64 text"
# The advice a busy, failing or slow host's refusal ends with.
LATER_OR_GIVE_IT: Final = f"try again later, or {GIVE_IT_INSTEAD}"
# The other endings of refusals that speak to whoever gave the URL.
NOT_THE_PAGE: Final = (
    "give the URL of the image file itself (PNG, JPEG or GIF), not of a page that shows it"
)
OPENS_THE_IMAGE: Final = "check that the URL opens the image itself"
LATER_OR_ANOTHER_URL: Final = "try again later, or use another URL"
CHECK_URL_OR_LATER: Final = "check the URL, or try again later"
SMALLER_IMAGE: Final = "use a smaller image (Slack shows photos at most 1024x1024 pixels)"
OWN_URL: Final = "give the image's own URL"


class ImageUrlRefused(UsersPhotoError):
    """An image URL that was not fetched, or whose answer was not used; ``kind`` says why."""

    code = "image_url_refused"
    kind: str = "refused"
    # A connection to the image host was made before this: its failure is the host's, not
    # the way to it (a proxy this process's fetches do not use, url_resolver.py).
    host_reached: bool = False

    def problem(self) -> Problem:
        """The refusal as a problem with the ``image`` argument, for InvalidArguments."""
        return Problem(IMAGE_PATH, self.message)


class BadImageUrl(ImageUrlRefused):
    """Not a URL this tool reads: malformed or too long, with spaces, control characters
    or backslashes, a user name or password, a host written as one number or in octal or
    hex, or a redirect to a malformed URL."""

    kind = "bad_url"


class SchemeNotAllowed(ImageUrlRefused):
    """Not https. Plain http is read only from the origin of a loopback emulator."""

    kind = "scheme_not_allowed"


class HostNotAllowed(ImageUrlRefused):
    """The host (or a redirect's) is not on the allow-list. The host that runs the tool
    adds it (``url_hosts=``, ``--allow-url-host``); a model cannot."""

    kind = "host_not_allowed"


class AddressRefused(ImageUrlRefused):
    """The host is, or resolves to, an internal address (loopback, private, link-local,
    reserved): fetching it would reach into the host's own network."""

    kind = "address_refused"


class TooManyRedirects(ImageUrlRefused):
    """More redirects than the policy follows (``max_redirects``, 3 by default)."""

    kind = "too_many_redirects"


class ImageTooLarge(ImageUrlRefused):
    """The body, as declared or as it arrived (decoded), is over the byte cap; reading
    stopped there."""

    kind = "too_large"


class FetchTimedOut(ImageUrlRefused):
    """A connect, read or total deadline passed. The image host is slow or
    unreachable: try again later, or give the image another way (a file, base64)."""

    kind = "timeout"


class NotAnImage(ImageUrlRefused):
    """The body's first bytes are no image format (an HTML page, JSON, a login form):
    the URL names a page that shows the image, not the image file."""

    kind = "not_an_image"


class HttpStatusRefused(ImageUrlRefused):
    """The host answered something other than 200 or a redirect (403 and 404 among them)."""

    kind = "http_status"


class TlsFailure(ImageUrlRefused):
    """The TLS handshake failed, most often a certificate not trusted for the name."""

    kind = "tls_failure"


class ConnectionFailed(ImageUrlRefused):
    """The name did not resolve, or no connection to any of its addresses could be made."""

    kind = "connection_failure"


def what_happened(refusal: ImageUrlRefused) -> str:
    """A refusal's account of what happened, without what it asks of whoever gave the URL:
    for the photo Slack's profile names, which the tool downloads itself to keep it
    (undo/shown_photo.py), no caller can give another URL, a file, a smaller image or an
    allowed host. A refusal says what happened, then, after a colon or a semicolon outside
    brackets, what to do, in the imperative ("give", "use", "check", "try"...): cut there.
    A host not allowed where no host is (the emulator's own origin) is said here (its text
    speaks of the allow-list from its start)."""
    happened = _before_advice(refusal.message)
    if isinstance(refusal, HostNotAllowed) and happened.startswith("this tool fetches no"):
        return "the image URL redirected to another host, which is never followed"
    return happened


# Where a refusal's advice begins: a colon or semicolon, then a verb telling what to do.
_ADVICE_STARTS: Final = re.compile(
    r"[:;] (?=(?:give|use|check|try|write|download|ask|remove|make|send|copy|run|add|allow|do)"
    r"\b)"
)


def _before_advice(message: str) -> str:
    for found in _ADVICE_STARTS.finditer(message):
        before = message[: found.start()]
        if before.count("(") + before.count("[") == before.count(")") + before.count("]"):
            return before
    return message
