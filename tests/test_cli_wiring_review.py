"""A token before a Slack command gets that command's advice, as before the command line
wired only the command it runs (9e11c94).

The refusal of a token given before the command (``--token xoxp-... set``, or the token
pasted as the first word) is worded from the command the words name. 9e11c94 wired only
the first word not an option, here the token, so ``set`` was left without ``--token-env``
and its advice became the MCP server's ("the env block of the host's configuration").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.exit_codes import ExitCode
from tests.conftest import CANARY_TOKEN
from tests.programs import run_module

_SLACK_COMMANDS = ("set", "whoami", "history", "undo")
_ENVIRONMENT = {"SLACK_API_URL": "http://127.0.0.1:9/api"}


@pytest.mark.parametrize("command", _SLACK_COMMANDS)
@pytest.mark.parametrize(
    "before", [("--token", CANARY_TOKEN), (CANARY_TOKEN,)], ids=["flag", "word"]
)
def test_a_token_before_a_slack_command_gets_that_commands_advice(
    tmp_path: Path, command: str, before: tuple[str, ...]
) -> None:
    done = run_module(
        "ocp_users_photo",
        *before,
        command,
        env={**_ENVIRONMENT, "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert done.stdout == ""
    assert "read -rs SLACK_USER_TOKEN" in done.stderr, done.stderr
    assert "or name another variable with --token-env NAME" in done.stderr, done.stderr
    assert "MCP server" not in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


@pytest.mark.parametrize(
    ("command", "advice"),
    [
        ("mcp", "the env block of the host's configuration"),
        ("demo", "'ocp-users-photo demo' uses no Slack token: leave it out"),
        ("manifest", "'ocp-users-photo manifest' uses no Slack token: leave it out"),
    ],
)
def test_a_token_before_another_command_keeps_its_own_advice(
    tmp_path: Path, command: str, advice: str
) -> None:
    done = run_module(
        "ocp_users_photo",
        "--token",
        CANARY_TOKEN,
        command,
        env={**_ENVIRONMENT, "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert advice in done.stderr, done.stderr
    assert "--token-env" not in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr
