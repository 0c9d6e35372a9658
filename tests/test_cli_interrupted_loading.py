"""Ctrl-C (or SIGTERM) while the command line is still loading its modules: one line and
exit 130.

A real SIGINT, sent by the process to itself as a module starts to load (a finder on
``sys.meta_path`` that finds nothing itself), through the installed script's entry point.
Before, the console script's own imports and the command's module, loaded while the
options were read, ended in Python's traceback and death by the signal; SIGTERM (``timeout``,
``kill``), which a command's event loop takes as Ctrl-C, ended it silently by the signal.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import os, signal, sys

    class InterruptWhenLoading:
        def find_spec(self, name, path=None, target=None):
            if name == WHILE_LOADING:
                sys.meta_path.remove(self)
                os.kill(os.getpid(), SIGNAL)  # raised at the next instruction
            return None

    # As in a terminal: a process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    SIGNAL = getattr(signal, sys.argv[1])
    WHILE_LOADING = sys.argv[2]
    sys.argv = ["ocp-users-photo", *sys.argv[3:]]
    sys.meta_path.insert(0, InterruptWhenLoading())
    from ocp_users_photo.console_script import main
    sys.exit(main())
    """
)


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    ("module", "command"),
    [
        ("ocp_users_photo.cli", ["manifest"]),  # the console script's own import
        ("ocp_users_photo.set_command", ["set", "me.png"]),  # the command's, as options are read
        ("ocp_users_photo.whoami_command", ["whoami"]),
    ],
)
def test_ctrl_c_while_loading_says_interrupted_in_one_line_and_exits_130(
    module: str, command: list[str], stop: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, stop, module, *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SLACK_USER_TOKEN": ""},
    )
    assert done.stderr == "ocp-users-photo: interrupted\n"
    assert done.returncode == 130
    assert done.stdout == ""
