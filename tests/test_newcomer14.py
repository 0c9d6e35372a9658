"""A newcomer's review: what a desktop MCP host met on its first try.

A host that sends a tool call's ``arguments`` as a string (the arguments' JSON text, as
some hosts and adapters do) got the SDK's bare "Invalid request parameters" with empty
data: nothing said which member was wrong or what to send, so neither the person reading
the host's log nor the host's author could mend it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_mcp_wire_requests import wire_server


@pytest.mark.parametrize(
    ("arguments", "told"),
    [
        ('{"image": "photo.png"}', "a string"),
        (["photo.png"], "an array"),
        (7, "a number"),
    ],
)
async def test_tool_call_arguments_that_are_no_object_say_what_to_send(
    tmp_path: Path, arguments: Any, told: str
) -> None:
    """-32602 still, as JSON-RPC says, but its message names ``arguments``, what it was
    and the shape to send; the server stays up for the next call."""
    async with wire_server(tmp_path) as wire:
        request = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "usersSetPhoto", "arguments": arguments},
        }
        await wire.send_line(json.dumps(request))
        answer = await wire.answer(1)
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        listed = await wire.answer(2)
    assert answer is not None
    assert answer["error"]["code"] == -32602
    message = answer["error"]["message"]
    assert "arguments" in message, message
    assert "JSON object" in message, message
    assert told in message, message
    assert "photo.png" not in message  # what the host sent is not repeated
    assert listed is not None
    assert "result" in listed


async def test_tool_call_arguments_as_an_object_or_left_out_still_reach_the_tool(
    tmp_path: Path,
) -> None:
    """The check leaves the calls the spec allows alone: the tool answers them."""
    async with wire_server(tmp_path) as wire:
        for request_id, params in enumerate(
            ({"name": "usersSetPhoto"}, {"name": "usersSetPhoto", "arguments": None}), 1
        ):
            request = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call"}
            await wire.send_line(json.dumps({**request, "params": params}))
            answer = await wire.answer(request_id)
            assert answer is not None
            assert "result" in answer, answer
            assert answer["result"]["structuredContent"]["error"] == "invalid_arguments"
