"""The ``ocp-users-photo`` script: the command line, Ctrl-C while it loads included.

Loading the command line's modules takes a few tenths of a second, and a Ctrl-C then
printed Python's traceback and ended the process by the signal. Nothing has been read
or sent by that time: the command line's one line and its exit code 130 instead.

SIGTERM (``timeout``, ``kill``, a service manager) is taken as Ctrl-C is, outside a
command's event loop too (``command_runner`` handles it within): while the modules load,
and at ``history --forget``'s question, it ended the process silently by the signal (143).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Final

INTERRUPTED_EXIT: Final = 130  # exit_codes.ExitCode.INTERRUPTED, whose module is not loaded yet


def main() -> int:
    """Load the command line and run it; 130 if interrupted (Ctrl-C or SIGTERM) while loading."""
    with _sigterm_as_ctrl_c():
        try:
            from ocp_users_photo.cli import main as command_line
        except KeyboardInterrupt:
            try:
                sys.stderr.write("ocp-users-photo: interrupted\n")
                sys.stderr.flush()
            except (OSError, ValueError, KeyboardInterrupt):
                pass  # no stderr to tell, or a second Ctrl-C: the exit code says it
            return INTERRUPTED_EXIT
        return command_line()


def _interrupted(_number: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt while the block runs, where it would end the process
    (a SIGTERM ignored by whoever started it stays ignored); the handler before is put back."""
    previous = None
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            previous = signal.signal(signal.SIGTERM, _interrupted)
    except (ValueError, OSError):  # off the main thread: no handler can be set
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
