"""An empty --image-root given to the MCP server that a desktop host starts in ``/``."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CANARY_TOKEN
from tests.programs import run_module


def test_an_empty_image_root_from_slash_is_said_to_name_no_folder() -> None:
    """``"args": ["--image-root", ""]`` (a variable the host's configuration left empty),
    started in ``/`` as a desktop host does: refused as taken from the working directory
    ("image root '' is relative ... here it is '/'"), which contradicts what every other
    door says of an empty root (it names no folder, not the working directory)."""
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        "",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN},
        cwd=Path("/"),
        stdin_closed=True,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "an image root is empty" in done.stderr, done.stderr
    assert "is relative" not in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr
