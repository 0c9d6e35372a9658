"""What the model reads when the MCP server's Slack address is this machine's and nothing
there answers Slack's Web API (review: a desktop host's first try with the emulator).

The advice for the person (start 'ocp-users-photo emulator' in another shell, or correct
the address's scheme, then try again) was the model's text too: a model can do neither,
and "then try again" had it call again into the same failure instead of telling the person.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from ocp_users_photo.emulator import EmulatorConfig, run_emulator
from tests.conftest import CANARY_TOKEN, make_image
from tests.test_mcp_server import TOOL


@asynccontextmanager
async def _server(tmp_path: Path, base_url: str) -> AsyncIterator[ClientSession]:
    root = tmp_path / "images"
    root.mkdir()
    (root / "photo.png").write_bytes(make_image())
    env = {
        "SLACK_API_URL": base_url,
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ocp_users_photo.mcp_server", "--image-root", str(root)],
        env=env,
        cwd=str(tmp_path),
    )
    with (tmp_path / "server-stderr.txt").open("w") as errlog:
        async with (
            stdio_client(parameters, errlog=errlog) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            yield client


async def _message(client: ClientSession) -> str:
    result = await client.call_tool(TOOL, {"image": "photo.png"})
    dumped: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    assert dumped["isError"] is True
    error = dumped["structuredContent"]
    assert json.loads(dumped["content"][0]["text"]) == error
    assert error["error"] == "transport_error"
    message = str(error["message"])
    assert CANARY_TOKEN not in message
    return message


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("case", ["stopped", "https"])
async def test_a_loopback_slack_that_does_not_answer_tells_the_model_to_tell_the_person(
    tmp_path: Path, case: str
) -> None:
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as slack:
        if case == "https":
            base_url = slack.base_url.replace("http://", "https://", 1)
        else:
            base_url = f"http://127.0.0.1:{_unused_port()}/api/"
        async with _server(tmp_path, base_url) as client:
            message = await _message(client)
    assert "tell the person" in message, message
    assert "calling again will not help" in message, message
    assert "then try again" not in message, message
    assert "another shell" not in message, message
    if case == "https":
        assert "does not speak https" in message, message
    else:
        assert "emulator must be started" in message, message
    logged = (tmp_path / "server-stderr.txt").read_text()
    assert CANARY_TOKEN not in logged
    assert "Traceback" not in logged, logged
