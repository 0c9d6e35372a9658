"""Keeps the token out of what the HTTP stack logs while a call is under way.

httpx logs each response line at INFO and httpcore each header at DEBUG; a server that
echoes the token in a header or the reason phrase would get it into those records. For
the duration of a call the token is held in a context variable, and a filter on the
HTTP stack's loggers rewrites any record holding it, at the moment it is made (filters
run in the emitting task, so the context is the call's own). While an image is fetched
from the web, the same filter drops the stack's records altogether: an image host's
answer (a redirect's signed URL, any header it sends) is not for the logs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Final

from ocp_users_photo.safe_text import redacted

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

_IN_FLIGHT: ContextVar[tuple[str, ...]] = ContextVar("ocp_users_photo_secrets", default=())
_SILENCED: ContextVar[bool] = ContextVar("ocp_users_photo_http_silenced", default=False)


class RedactingFilter(logging.Filter):
    """Rewrites a record that holds a secret of the call under way; drops the records of an
    image fetch (``http_stack_silenced``); lets every other record through as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SILENCED.get():
            return False
        secrets = _IN_FLIGHT.get()
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it be
            return True
        if any(secret in message for secret in secrets):
            record.msg, record.args = redacted(message, secrets), ()
        return True


_FILTER: Final = RedactingFilter()
# The logger objects themselves (a logger is made once per name and never replaced):
# looking each up per call took the logging module's lock eight times a call.
_LOGGERS: Final = tuple(logging.getLogger(name) for name in HTTP_STACK_LOGGERS)


def install_filter() -> None:
    """Put the filter on the HTTP stack's loggers (once; it is stateless)."""
    for logger in _LOGGERS:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextlib.contextmanager
def secret_in_flight(*secrets: str) -> Iterator[None]:
    """While the block runs, records made by the HTTP stack in this context lose ``secrets``."""
    kept_out = tuple(secret for secret in secrets if secret)
    if not kept_out:
        yield
        return
    install_filter()
    reset = _IN_FLIGHT.set((*_IN_FLIGHT.get(), *kept_out))
    try:
        yield
    finally:
        _IN_FLIGHT.reset(reset)


@contextlib.contextmanager
def http_stack_silenced() -> Iterator[None]:
    """While the block runs, the HTTP stack's records made in this context are dropped."""
    install_filter()
    reset = _SILENCED.set(True)
    try:
        yield
    finally:
        _SILENCED.reset(reset)
