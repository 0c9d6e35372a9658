"""Where a command's answer goes, and what a failure to write it means.

A command that changed a photo and then could not print so (a full disk under a
redirected stdout, EIO, a closed stdout) must not exit 2, whose meaning is "nothing
was sent": a script would try again and change the photo twice. ``answers_to`` wraps
stdout so that any failure to write it is ``OutputFailed``, which the command line
reports as exit 1, "what the command did stands", as it does for a closed pipe. Each
write is flushed at once, so a failure shows inside the command, not at exit.
``standard_streams`` makes the streams usable first: a missing one (``2>&-``) is
stood in for, and text the locale cannot encode (an ASCII locale, a person's name
with an accent) is escaped rather than failing.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO, cast

from ocp_users_photo.safe_text import shown

__all__ = ["OutputFailed", "answers_to", "before_anything_is_sent", "standard_streams"]


class OutputFailed(Exception):
    """stdout could not be written; ``reason`` says why (the OSError's text), ``closed``
    whether its reader went away or it was never open (``| head``, ``>&-``), and
    ``reader_left`` the first alone: a reader that took what it wanted (EPIPE)."""

    def __init__(
        self,
        reason: str,
        *,
        closed: bool = False,
        nothing_sent: bool = False,
        reader_left: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.closed = closed
        self.nothing_sent = nothing_sent
        self.reader_left = reader_left

    @property
    def what_happened(self) -> str:
        """What became of stdout, for a line "stdout ...": closed, or why it was not written
        (the OS's short text)."""
        return "was closed" if self.closed else f"could not be written ({shown(self.reason, 80)})"


@contextlib.contextmanager
def before_anything_is_sent() -> Iterator[None]:
    """Output written before the command sends anything (a dry run's answer, a preview
    line): a failure to write it is said so, nothing having been sent (exit 2)."""
    try:
        yield
    except OutputFailed as failed:
        raise OutputFailed(
            failed.reason, closed=failed.closed, nothing_sent=True, reader_left=failed.reader_left
        ) from None


def _failed(error: OSError) -> OutputFailed:
    left = isinstance(error, BrokenPipeError)
    return OutputFailed(error.strerror or type(error).__name__, closed=left, reader_left=left)


class _Answers(io.TextIOBase):
    """Writes through to ``stream``, flushing each time; a failure is OutputFailed."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        if self._stream is None:
            raise OutputFailed("stdout is closed", closed=True)
        with self._failing_as_output():
            written = self._stream.write(text)
            self._stream.flush()
        return written

    def flush(self) -> None:
        if self._stream is not None:
            with self._failing_as_output():
                self._stream.flush()

    @contextlib.contextmanager
    def _failing_as_output(self) -> Iterator[None]:
        """An OSError, or the ValueError of a stream closed within this process ("I/O
        operation on closed file"), as OutputFailed; any other ValueError (a text the
        encoding cannot hold) as it is: it is no closed file."""
        try:
            yield
        except OSError as error:
            raise _failed(error) from None
        except ValueError:
            if not getattr(self._stream, "closed", False):
                raise
            raise OutputFailed("stdout is closed", closed=True) from None

    def close(self) -> None:
        """Closed without flushing ``stream``, which it does not own and flushed at each
        write. The finalizer closes it when it is collected, perhaps after stdout itself was
        closed (a reader gone, a caller's capture): flushing then raised OutputFailed,
        which Python 3.13 reports as "Exception ignored" on stderr (3.11 and 3.12 drop it)."""
        self._stream = None
        super().close()

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def writable(self) -> bool:
        return True


def answers_to(stream: TextIO | None) -> TextIO:
    """``stream`` (stdout) for a command's answer: see the module."""
    return cast(TextIO, _Answers(stream))


def standard_streams() -> None:
    """stdout and stderr made safe to print to: a closed stderr writes to devnull, and
    both escape what their encoding cannot hold."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the process)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


def tell(line: str, stream: TextIO | None = None) -> None:
    """One line for the person on stderr (or ``stream``), lost if it cannot be written
    (``2>/dev/full``, a closed reader). The exit code says what happened: a failed write
    raised here replaced it (1, "what the command did stands", for "nothing was sent";
    2 for an interrupt)."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr if stream is None else stream)
