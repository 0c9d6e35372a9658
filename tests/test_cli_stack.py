"""The command line's HTTP stack: httpx's where the environment leaves the choice to the tool.

A command makes one to four calls and exits, so aiohttp's import costs it more than its
cheaper calls save (benchmarks/cli_one_shot.py). Which stack sent a request is read from
the User-Agent the emulator recorded: the tool names the library that sends.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ocp_users_photo.cli_options import one_command_environment
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.settings import HTTP_STACK_VARIABLE
from tests.cli_fixtures import image_fixture, slack_emulator_config_fixture
from tests.conftest import CANARY_TOKEN
from tests.http_stacks import stack_params
from tests.programs import run_cli
from tests.test_mcp_server import assert_success, mcp_session

__all__ = ["image_fixture", "slack_emulator_config_fixture"]

# The aiohttp parameter of stack_params: skipped, saying why, without the [fast] extra.
AIOHTTP = stack_params()[1]


def _senders(emulator: RunningEmulator, path: str) -> list[str]:
    """The library each recorded request to ``path`` named last in its User-Agent."""
    return [
        (request.header("user-agent") or "").rsplit(" ", 1)[-1].split("/")[0]
        for request in emulator.requests.for_path(path)
    ]


def _run(
    emulator: RunningEmulator, *args: str, stack: str | None
) -> subprocess.CompletedProcess[str]:
    env = {"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": emulator.base_url}
    if stack is not None:
        env[HTTP_STACK_VARIABLE] = stack
    done = run_cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("stack", [None, "", "auto"])
@pytest.mark.parametrize("installed", [AIOHTTP])
def test_a_command_sends_on_httpx_unless_a_stack_is_named(
    slack_emulator: RunningEmulator, image: Path, stack: str | None, installed: str
) -> None:
    """With aiohttp installed (``installed``), ``auto`` would pick it: the command does not."""
    _run(slack_emulator, "set", str(image), "--no-keep-previous", stack=stack)
    _run(slack_emulator, "whoami", stack=stack)
    assert _senders(slack_emulator, "/api/users.setPhoto") == ["httpx"]
    assert _senders(slack_emulator, "/api/auth.test") == ["httpx"]


@pytest.mark.parametrize("stack", ["httpx", AIOHTTP])
def test_a_stack_the_environment_names_is_the_one_used(
    slack_emulator: RunningEmulator, image: Path, stack: str
) -> None:
    _run(slack_emulator, "set", str(image), stack=stack)
    expected = "httpx" if stack == "httpx" else "aiohttp"
    senders = _senders(slack_emulator, "/api/users.setPhoto")
    # Keeping on: auth.test, users.profile.get and the change, each on the stack named.
    assert senders == [expected]
    assert set(_senders(slack_emulator, "/api/users.profile.get")) == {expected}


def test_the_environment_given_is_left_as_it_was() -> None:
    given = {"SLACK_API_URL": "http://127.0.0.1:9/api"}
    held = one_command_environment(given)
    assert held.get(HTTP_STACK_VARIABLE) == "httpx"
    assert held.get("SLACK_API_URL") == "http://127.0.0.1:9/api"
    assert given == {"SLACK_API_URL": "http://127.0.0.1:9/api"}
    for chosen in ("", "auto"):
        assert one_command_environment({HTTP_STACK_VARIABLE: chosen}).get(HTTP_STACK_VARIABLE) == (
            "httpx"
        )
    named = {HTTP_STACK_VARIABLE: "aiohttp"}
    assert one_command_environment(named).get(HTTP_STACK_VARIABLE) == "aiohttp"


@pytest.mark.parametrize("installed", [AIOHTTP])
async def test_the_mcp_server_a_long_lived_door_keeps_aiohttp(
    tmp_path: Path, installed: str
) -> None:
    """The MCP server is a command too, but it lives as long as its host: ``auto`` is aiohttp."""
    async with mcp_session(tmp_path) as session:
        assert_success(await session.call({"image": "photo.png"}))
        assert _senders(session.slack, "/api/users.setPhoto") == ["aiohttp"]
