"""The suite's own footing for Ctrl-C tests: whatever shell started it, a command it starts
takes SIGINT as a terminal's foreground command does."""

from __future__ import annotations

import subprocess
import sys

SHOWS_SIGINT = (
    "import signal\n"
    "handler = signal.getsignal(signal.SIGINT)\n"
    "print('default' if handler is signal.default_int_handler else repr(handler))\n"
)


def test_a_command_the_suite_starts_takes_ctrl_c() -> None:
    """Started as ``pytest &`` by a script, the suite had SIGINT ignored and so did every
    command it started: each Ctrl-C test then failed with the command carrying on (the
    change made, exit 0), which read as an interruption lost under load."""
    child = subprocess.run(
        [sys.executable, "-c", SHOWS_SIGINT], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "default"
