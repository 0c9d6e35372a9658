"""Keeps the token out of what the HTTP stack logs while a call is under way.

httpx logs each response line at INFO and httpcore each header at DEBUG; a server that
echoes the token in a header or the reason phrase would get it into those records. For
the duration of a call the token is held in a context variable, and a filter on the
HTTP stack's loggers rewrites any record holding it, at the moment it is made (filters
run in the emitting task, so the context is the call's own). While an image is fetched
from the web, the same filter drops the stack's records altogether: an image host's
answer (a redirect's signed URL, any header it sends) is not for the logs. A record
longer than ``MAX_RECORD_CHARS`` (a server's reply head of many long headers) is cut, and
one holding what a terminal would take for an escape sequence (a reason phrase's ESC,
BEL or C1 controls, which httpx's INFO record quotes as it came) is made printable.

Some records hold the secret in a form no text search finds: hpack (HTTP/2, for a
caller's ``httpx.AsyncClient(http2=True)``) logs each header block Huffman-coded, from
which the Authorization header decodes back; those loggers' records are dropped while a
secret is in flight. httpcore writes a SOCKS proxy's password as a bytes repr, so the
secrets' printed forms (``b'p\\xc3\\xa4ss'``, a backslash doubled) are searched for too.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Final

from ocp_users_photo.context_reset import reset_in_its_context
from ocp_users_photo.safe_text import Needles, printable, redacted_folded

HTTP_STACK_LOGGERS: Final = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    # aiohttp's, when the [fast] extra is the stack: it logs no request or reply today.
    "aiohttp.client",
    "aiohttp.internal",
)
# Loggers whose records carry the headers encoded (HPACK): dropped while a secret is in flight.
ENCODED_HEADER_LOGGERS: Final = ("hpack.hpack", "hpack.table")

# The most of one HTTP stack record kept while a call is under way.
MAX_RECORD_CHARS: Final = 4000

# The secrets of the calls under way in this context, as the searches look for them (made
# once a call, not once a record).
_IN_FLIGHT: ContextVar[Needles | None] = ContextVar("ocp_users_photo_secrets", default=None)
_SILENCED: ContextVar[bool] = ContextVar("ocp_users_photo_http_silenced", default=False)


class RedactingFilter(logging.Filter):
    """Rewrites a record that holds a secret of the call under way; drops the records of an
    image fetch (``http_stack_silenced``); lets every other record through as it is.

    ``drop_with_secrets``: drop every record while a secret is in flight (encoded headers).
    """

    def __init__(self, *, drop_with_secrets: bool = False) -> None:
        super().__init__()
        self.drop_with_secrets = drop_with_secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if _SILENCED.get():
            return False
        secrets = _IN_FLIGHT.get()
        if secrets is None:
            return True
        if self.drop_with_secrets:
            return False
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: the handler's error report would print
            # them as they are. The record becomes its text with them appended, redacted.
            try:
                message = f"{record.msg} (arguments not fitting the format: {record.args!r})"
            except Exception:
                return False  # not even printable: nothing of it is shown
            record.msg, record.args = message, ()
        shown = redacted_folded(message, secrets)  # in any case: a server may echo it upper-cased
        if len(shown) > MAX_RECORD_CHARS:
            # A server's reply head (httpcore logs every header it sent): bounded, not
            # hundreds of kilobytes a record.
            shown = f"{shown[:MAX_RECORD_CHARS]}... ({len(shown)} characters in all)"
        if not shown.isascii() or not shown.isprintable():  # U+034F is printable to Python
            shown = printable(shown)
        if shown != message:
            record.msg, record.args = shown, ()
        return True


_FILTER: Final = RedactingFilter()
_DROPPING_FILTER: Final = RedactingFilter(drop_with_secrets=True)
# The logger objects themselves (a logger is made once per name and never replaced):
# looking each up per call took the logging module's lock eight times a call.
_FILTERED: Final = (
    *((logging.getLogger(name), _FILTER) for name in HTTP_STACK_LOGGERS),
    *((logging.getLogger(name), _DROPPING_FILTER) for name in ENCODED_HEADER_LOGGERS),
)


def install_filter() -> None:
    """Put the filters on the HTTP stack's loggers (once; they are stateless)."""
    for logger, log_filter in _FILTERED:
        if log_filter not in logger.filters:
            logger.addFilter(log_filter)


# Texts a record prints as they are, in a str's or a bytes' repr alike: printable ASCII,
# no quote, no backslash. printed_forms gives such a text alone; secret_in_flight checks a
# call's forms (a token's thirty) in one match.
_PRINTED_AS_THEY_ARE: Final = re.compile(r"[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]*")


def printed_forms(secret: str) -> tuple[str, ...]:
    """``secret`` and how a log record may print it: inside a str's or a bytes' repr
    (backslashes doubled, non-ASCII escaped), where those differ from the text."""
    if _PRINTED_AS_THEY_ARE.fullmatch(secret):
        return (secret,)  # a token: printed as it is
    forms = [secret, repr(secret)[1:-1], repr(secret.encode("utf-8", "surrogatepass"))[2:-1]]
    return tuple(dict.fromkeys(forms))


@contextlib.contextmanager
def secret_in_flight(*secrets: str) -> Iterator[None]:
    """While the block runs, records made by the HTTP stack in this context lose ``secrets``."""
    if _PRINTED_AS_THEY_ARE.fullmatch("".join(secrets)):  # a token's forms: no other form
        kept_out = tuple(secret for secret in secrets if secret)
    else:
        kept_out = tuple(form for secret in secrets if secret for form in printed_forms(secret))
    if not kept_out:
        yield
        return
    install_filter()
    outer = _IN_FLIGHT.get()
    reset = _IN_FLIGHT.set(Needles(kept_out) if outer is None else outer.with_more(kept_out))
    try:
        yield
    finally:
        reset_in_its_context(_IN_FLIGHT, reset)


@contextlib.contextmanager
def http_stack_silenced() -> Iterator[None]:
    """While the block runs, the HTTP stack's records made in this context are dropped."""
    install_filter()
    reset = _SILENCED.set(True)
    try:
        yield
    finally:
        reset_in_its_context(_SILENCED, reset)
