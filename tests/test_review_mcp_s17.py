"""Review of the MCP door as a desktop host's user meets it (session 17).

Each test shows a defect found by running the server and its command as a person does.
"""

from __future__ import annotations

import pytest

from tests.conftest import CANARY_TOKEN
from tests.programs import run_module

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]


@pytest.mark.parametrize(
    ("module", "words"),
    [("ocp_users_photo.cli", ["mcp"]), ("ocp_users_photo.mcp_server", [])],
    ids=["ocp-users-photo-mcp", "python-m-mcp_server"],
)
def test_a_token_flag_on_the_mcp_command_is_not_told_to_use_token_env(
    module: str, words: list[str]
) -> None:
    """``mcp`` has no ``--token-env``: advice naming it sent the person to a second usage
    error. A host's ``args`` holding ``--token`` are mended by its ``env`` block."""
    finished = run_module(module, *words, "--token", CANARY_TOKEN, stdin_closed=True)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert CANARY_SECRET not in output
    assert "--token: the token is never given on the command line" in output
    assert "--token-env" not in output
    assert "env block" in output


def test_a_token_flag_on_set_still_names_token_env() -> None:
    """The commands that take ``--token-env`` keep saying so."""
    finished = run_module("ocp_users_photo.cli", "set", "me.png", "--token", CANARY_TOKEN)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert "--token-env NAME" in output
