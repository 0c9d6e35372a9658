"""A newcomer who pastes the token as a command's argument (first try, 2026-12-04).

`--token xoxp-...` is refused with how to give the token ('read -rs SLACK_USER_TOKEN &&
export SLACK_USER_TOKEN'). The same token pasted without the flag is recognised as one,
since it is masked, but the line says nothing of tokens:

    $ ocp-users-photo whoami xoxp-...
    ocp-users-photo: error: unrecognized arguments: [redacted] (see: ocp-users-photo whoami --help)
    $ ocp-users-photo set xoxp-...
    ocp-users-photo: nothing was sent to Slack, 1 problem with the arguments: $.image:
    no file at '[redacted]' (looked in the current folder, ...): give the path of an
    existing PNG, JPEG or GIF file, a data: URI or base64 text
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.exit_codes import ExitCode
from tests.conftest import CANARY_TOKEN, make_image
from tests.programs import run_cli, run_module


@pytest.mark.parametrize(
    "args",
    [("whoami", CANARY_TOKEN), ("set", CANARY_TOKEN), ("set", "me.png", CANARY_TOKEN)],
    ids=["whoami-token", "set-token", "set-image-token"],
)
def test_a_token_pasted_as_an_argument_says_how_to_give_it(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "me.png").write_bytes(make_image((600, 600)))
    # A token is set too, so that the only advice about tokens is about the pasted one.
    done = run_cli(
        *args,
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "http://127.0.0.1:9/api"},
        cwd=tmp_path,
    )
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert CANARY_TOKEN not in done.stderr + done.stdout
    assert "read -rs SLACK_USER_TOKEN" in done.stderr, done.stderr


def test_a_file_named_like_a_token_is_an_image_like_any_other(tmp_path: Path) -> None:
    """Only a word that names no file is taken for a pasted token."""
    name = "xoxb-2024-11-30"
    (tmp_path / name).write_bytes(make_image((600, 600)))
    done = run_cli("set", name, "--dry-run", env={}, cwd=tmp_path)
    assert done.returncode == ExitCode.OK, done.stderr
    assert "Checked: would send PNG 600x600" in done.stdout


def test_a_name_that_only_begins_like_a_token_is_no_token(tmp_path: Path) -> None:
    """A token as Slack issues it has a number after its prefix: 'xoxp-notes' is a name,
    looked for as the image (and masked where it is printed, as a token may hide in it)."""
    done = run_cli("set", "xoxp-notes", "--dry-run", env={}, cwd=tmp_path)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert "a Slack token was given" not in done.stderr
    assert "no file at" in done.stderr, done.stderr


def test_the_mcp_servers_module_refuses_a_pasted_token_too(tmp_path: Path) -> None:
    """``python -m ocp_users_photo.mcp_server``, the other program (an MCP host's args), said
    only "unrecognized arguments: [redacted]" when cli.py alone refused pasted tokens."""
    done = run_module("ocp_users_photo.mcp_server", CANARY_TOKEN, cwd=tmp_path)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert CANARY_TOKEN not in done.stderr + done.stdout
    assert "a Slack token was given as an argument" in done.stderr, done.stderr
    assert "the env block of the host's configuration" in done.stderr, done.stderr
