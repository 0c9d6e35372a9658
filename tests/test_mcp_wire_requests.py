"""Requests the MCP spec allows but hosts rarely send, on the raw wire.

Each test starts ``python -m ocp_users_photo.mcp_server`` on the package's emulator and
writes JSON-RPC lines to its stdin, so that what the mcp SDK's client would never send
(a cursor it did not get) reaches the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.conftest import CANARY_TOKEN, make_image
from tests.program_forks import program_command


class Wire:
    def __init__(
        self, process: asyncio.subprocess.Process, slack: RunningEmulator | None = None
    ) -> None:
        self.process = process
        self.slack = slack  # the emulator the server talks to, for its faults and records
        self.seen: dict[Any, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # every message, in order

    async def send_line(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        await self.process.stdin.drain()

    async def answer(self, request_id: Any, seconds: float = 10) -> dict[str, Any] | None:
        """The answer to ``request_id``, or None if none came within ``seconds``."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(seconds):
                while request_id not in self.seen:
                    message: dict[str, Any] = json.loads(await self.process.stdout.readline())
                    self.seen[message.get("id")] = message
                    self.received.append(message)
        except TimeoutError:
            return None
        return self.seen[request_id]


# What the server answers to '{"jsonrpc": "2.0", "id": 8, "method": "ping"}': the ping's
# empty result, not an error (an answer at all would not tell a server still serving).
PING_8_ANSWER: Final = {"jsonrpc": "2.0", "id": 8, "result": {}}


# The host's first request: the session's handshake.
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "review", "version": "0"},
    },
}


@asynccontextmanager
async def wire_server(
    tmp_path: Path,
    *,
    initialize: bool = True,
    image_root: bool = True,
    cwd: Path | None = None,
    options: Sequence[str] = (),
) -> AsyncIterator[Wire]:
    """The MCP server over stdio, the session initialized unless ``initialize`` is False;
    started with ``--image-root`` (tmp_path/images) unless ``image_root`` is False, and
    ``options``, in ``cwd`` (tmp_path unless given)."""
    root = tmp_path / "images"
    root.mkdir()
    (root / "photo.png").write_bytes(make_image())
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as slack:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
            "SLACK_API_URL": slack.base_url,
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        arguments = [*(["--image-root", str(root)] if image_root else []), *options]
        words = await asyncio.to_thread(
            program_command, "ocp_users_photo.mcp_server", arguments, env
        )
        with (tmp_path / "stderr.txt").open("w") as errlog:
            process = await asyncio.create_subprocess_exec(
                *words,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=errlog,
                env=env,
                cwd=cwd or tmp_path,
                limit=2**24,
            )
            wire = Wire(process, slack)
            try:
                if not initialize:
                    yield wire
                    return
                await wire.send_line(json.dumps(INITIALIZE))
                assert await wire.answer(0) is not None
                await wire.send_line('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
                yield wire
            finally:
                assert process.stdin is not None
                process.stdin.close()
                await asyncio.wait_for(process.wait(), 20)


async def test_a_cursor_the_server_never_gave_is_invalid_params(tmp_path: Path) -> None:
    """MCP pagination: the cursor is the server's opaque token, and an invalid one SHOULD be
    answered with -32602 (Invalid params). This server gives no nextCursor, so any cursor is
    one it never issued (it answered with the whole first page, as if none had been sent)."""
    async with wire_server(tmp_path) as wire:
        await wire.send_line(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": "page-2"}}
            )
        )
        answer = await wire.answer(1)
    assert answer is not None
    assert "result" not in answer, f"listed the tools for a foreign cursor: {str(answer)[:200]}"
    assert answer["error"]["code"] == -32602
