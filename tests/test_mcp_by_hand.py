"""``ocp-users-photo mcp`` started by hand (stdin a terminal) says what it serves and that
it waits for a client, at the default log level: it waited in silence, as if it had hung.
Started by a host (stdin a pipe), it says nothing at the default level, as before."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CANARY_TOKEN
from tests.programs import environment_without_slack

pytest.importorskip("mcp")


def _stderr_after_ctrl_d(home: Path, *, terminal: bool) -> tuple[int, str]:
    if terminal:
        controller, stdin = pty.openpty()
    else:
        stdin, controller = os.pipe()
    pictures = home / "Pictures"
    pictures.mkdir()
    env = environment_without_slack(
        {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    env["HOME"] = str(home)
    server = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "mcp", "--image-root", str(pictures)],
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(stdin)
    try:
        time.sleep(3)  # started: importing and opening the history take a moment
        if terminal:
            os.write(controller, b"\x04")  # Ctrl-D: the terminal's end of input
        else:
            os.close(controller)  # a pipe's end of input
        _, err = server.communicate(timeout=60)
    finally:
        if terminal:
            os.close(controller)  # after the server ended: closed early, its read is EIO
    return server.returncode, err.decode("utf-8", "replace")


def test_started_by_hand_it_says_what_it_serves_and_that_it_waits(tmp_path: Path) -> None:
    status, said = _stderr_after_ctrl_d(tmp_path, terminal=True)
    assert status == 0, said
    assert "ocp-users-photo mcp: serving usersSetPhoto and usersRestorePhoto over stdio" in said
    assert "Waiting for an MCP client on stdin" in said, said
    assert "token: from SLACK_USER_TOKEN" in said, said
    assert CANARY_TOKEN not in said


def test_started_by_a_host_it_says_nothing_at_the_default_level(tmp_path: Path) -> None:
    status, said = _stderr_after_ctrl_d(tmp_path, terminal=False)
    assert status == 0, said
    assert "Waiting for an MCP client" not in said, said
    assert "serving" not in said, said
