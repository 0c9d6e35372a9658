"""Keeps what Pillow logs of an image the tool reads bounded and printable.

Pillow's plugins log at DEBUG what they find in a file, quoted from its bytes: a PNG's
colour-profile name (``iCCP profile name %r``, as long as its chunk), a TIFF tag's value,
an unknown chunk's name. Every image the tool reads is a model's, a web host's or a
caller's: a fetched PNG whose profile name was 2 MB long made two records of 2,000,000
characters each in a host that logs at DEBUG (an attack review). While the tool reads,
converts or compares an image in this context (``pillow_records_bounded``), a record of
Pillow's loggers is cut to ``MAX_RECORD_CHARS``, made printable and has anything shaped
like a Slack token masked; outside such a block, the host's own use of Pillow logs as it
always did.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Final, ParamSpec, TypeVar

from ocp_users_photo.context_reset import reset_in_its_context
from ocp_users_photo.safe_text import printable, without_tokens

# The loggers of Pillow's modules that log today (ImageFile, PngImagePlugin,
# TiffImagePlugin, PcxImagePlugin), and of Image and the plugins of the other formats
# the tool decodes, should a later Pillow log there (PIL.<module>, made by name whether or
# not the module is imported yet: the logger a module gets later is this one).
PILLOW_LOGGERS: Final = (
    "PIL.Image",
    "PIL.ImageFile",
    "PIL.PngImagePlugin",
    "PIL.TiffImagePlugin",
    "PIL.PcxImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.GifImagePlugin",
    "PIL.WebPImagePlugin",
)
# The most of one record kept: as the HTTP stack's (slack/log_redaction.py).
MAX_RECORD_CHARS: Final = 4000

P = ParamSpec("P")
R = TypeVar("R")
_READING: ContextVar[bool] = ContextVar("ocp_users_photo_reading_image", default=False)


class BoundedImageRecords(logging.Filter):
    """Rewrites a Pillow record made while the tool reads an image: bounded, printable, no
    token; lets every other record through as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _READING.get():
            return True
        try:
            message = record.getMessage()
        except Exception:
            return False  # arguments that do not fit the format: nothing of it is shown
        shown = without_tokens(message[:MAX_RECORD_CHARS])
        if len(message) > MAX_RECORD_CHARS:
            shown = f"{shown}... ({len(message)} characters in all)"
        if not shown.isascii() or not shown.isprintable():
            shown = printable(shown)
        if shown != message:
            record.msg, record.args = shown, ()
        return True


_FILTER: Final = BoundedImageRecords()


def _install_filter() -> None:
    """Put the filter on Pillow's loggers (once: it is stateless)."""
    for name in PILLOW_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


_installed = False


def pillow_records_bounded(function: Callable[P, R]) -> Callable[P, R]:
    """``function``, during whose run Pillow's records made in this context are bounded
    (above): for what reads, converts or compares an image the tool was given."""

    @functools.wraps(function)
    def bounded(*args: P.args, **kwargs: P.kwargs) -> R:
        global _installed  # once a process, as the HTTP stack's filter (install_filter)
        if not _installed:
            _install_filter()
            _installed = True
        reset = _READING.set(True)
        try:
            return function(*args, **kwargs)
        finally:
            reset_in_its_context(_READING, reset)

    return bounded
