"""Ctrl-C once the command has answered, while the interpreter ends: the answer's exit code.

Python's finalization puts SIGINT back to its default action before it frees the modules
(a few tenths of a second after a preview of a large image): a Ctrl-C then killed the
process by the signal (the parent saw -2), the dry run's answer printed in full and its 0
lost. Here the Ctrl-C comes from an object of the program's freed as its modules are.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import os, signal, sys

    class CtrlCWhenFreed:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # as the interpreter frees __main__

    # As in a terminal: a process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = ["ocp-users-photo", *sys.argv[1:]]
    freed_last = CtrlCWhenFreed()
    from ocp_users_photo.console_script import main
    sys.exit(main())
    """
)


def test_ctrl_c_after_the_answer_leaves_its_exit_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "manifest", "--format", "mcp"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SLACK_USER_TOKEN": ""},
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-400:])
    assert '"usersSetPhoto"' in done.stdout
    assert done.stderr == ""
