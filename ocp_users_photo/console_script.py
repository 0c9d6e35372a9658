"""The ``ocp-users-photo`` script: the command line, Ctrl-C while it loads included.

Loading the command line's modules takes a few tenths of a second, and a Ctrl-C then
printed Python's traceback and ended the process by the signal. Nothing has been read
or sent by that time: the command line's one line and its exit code 130 instead.

SIGTERM (``timeout``, ``kill``, a service manager) is taken as Ctrl-C is, outside a
command's event loop too (``command_runner`` handles it within): while the modules load,
and at ``history --forget``'s question, it ended the process silently by the signal (143).

A Ctrl-C once the answer is given changes nothing: it is ignored as the interpreter ends.
Python's finalization puts SIGINT back to its default action before it frees the modules
(tenths of a second after a large image's preview), and a Ctrl-C then killed the process
by the signal, its answer printed in full and its exit code lost.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Final

INTERRUPTED_EXIT: Final = 130  # exit_codes.ExitCode.INTERRUPTED, whose module is not loaded yet


def main() -> int:
    """Load the command line and run it; 130 if interrupted (Ctrl-C or SIGTERM) while loading."""
    # The last exit function: after the threads' joins and the other exit functions, which
    # a Ctrl-C may still cut short.
    atexit.unregister(_ctrl_c_ignored)
    atexit.register(_ctrl_c_ignored)
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


def _ctrl_c_ignored() -> None:
    """SIGINT ignored from here to the process's end: the only handler Python's finalization
    leaves in place (any other is put back to the default action, death by the signal)."""
    for _ in range(2):  # signal.signal first raises a Ctrl-C pending: it is this one's
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except KeyboardInterrupt:
            continue
        except (ValueError, OSError):  # off the main thread: nothing can be set
            return
        return


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
