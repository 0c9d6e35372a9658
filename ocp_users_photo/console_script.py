"""The ``ocp-users-photo`` script: the command line, Ctrl-C while it loads included.

Loading the command line's modules takes a few tenths of a second, and a Ctrl-C then
printed Python's traceback and ended the process by the signal. Nothing has been read
or sent by that time: the command line's one line and its exit code 130 instead.
"""

from __future__ import annotations

import sys
from typing import Final

INTERRUPTED_EXIT: Final = 130  # exit_codes.ExitCode.INTERRUPTED, whose module is not loaded yet


def main() -> int:
    """Load the command line and run it; 130 if interrupted while loading."""
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
