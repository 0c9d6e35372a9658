"""Why an image URL was not fetched: one exception per kind, each a problem at ``$.image``.

    ImageUrlRefused              base; .kind names the case, .problem() is the $.image Problem
     ├── BadImageUrl             not a URL this tool reads (syntax, user name, odd host forms)
     ├── SchemeNotAllowed        not https (plain http only for a loopback emulator's origin)
     ├── HostNotAllowed          the host is not on the allow-list (url_hosts / --allow-url-host)
     ├── AddressRefused          the host is, or resolves to, an internal address
     ├── TooManyRedirects        more redirects than the policy follows
     ├── ImageTooLarge           the body (decoded) is over the byte cap
     ├── FetchTimedOut           a connect, read or total deadline passed
     ├── NotAnImage              the body's first bytes are no image format (HTML, JSON, ...)
     ├── HttpStatusRefused       the host answered something other than 200 or a redirect
     ├── TlsFailure              the TLS handshake failed (certificate not trusted for the name)
     └── ConnectionFailed        the name did not resolve, or no connection could be made

Messages name the host at most (never a path, query string or fragment, which often
carry signatures) and say what to do. No network exception is chained to them: its
text is the server's or the resolver's, and stays out of results and histories.
"""

from __future__ import annotations

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
]


class ImageUrlRefused(UsersPhotoError):
    """An image URL that was not fetched, or whose answer was not used; ``kind`` says why."""

    code = "image_url_refused"
    kind: str = "refused"

    def problem(self) -> Problem:
        """The refusal as a problem with the ``image`` argument, for InvalidArguments."""
        return Problem(IMAGE_PATH, self.message)


class BadImageUrl(ImageUrlRefused):
    kind = "bad_url"


class SchemeNotAllowed(ImageUrlRefused):
    kind = "scheme_not_allowed"


class HostNotAllowed(ImageUrlRefused):
    kind = "host_not_allowed"


class AddressRefused(ImageUrlRefused):
    kind = "address_refused"


class TooManyRedirects(ImageUrlRefused):
    kind = "too_many_redirects"


class ImageTooLarge(ImageUrlRefused):
    kind = "too_large"


class FetchTimedOut(ImageUrlRefused):
    kind = "timeout"


class NotAnImage(ImageUrlRefused):
    kind = "not_an_image"


class HttpStatusRefused(ImageUrlRefused):
    kind = "http_status"


class TlsFailure(ImageUrlRefused):
    kind = "tls_failure"


class ConnectionFailed(ImageUrlRefused):
    kind = "connection_failure"
