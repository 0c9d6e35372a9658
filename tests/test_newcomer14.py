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

from tests.test_mcp_wire_requests import Wire, wire_server


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


async def listed_then_refused(wire: Wire, first_id: int) -> tuple[Any, Any]:
    """A tools/list's answer (id ``first_id``), then the answer to a tools/call whose params
    the SDK itself refuses (a tool's name that is no string; id ``first_id + 1``)."""
    await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": first_id, "method": "tools/list"}))
    listed = await wire.answer(first_id)
    wrong = {"name": 7}
    call = {"jsonrpc": "2.0", "id": first_id + 1, "method": "tools/call", "params": wrong}
    await wire.send_line(json.dumps(call))
    return listed, await wire.answer(first_id + 1)


async def test_a_request_before_initialize_is_told_to_initialize_first(tmp_path: Path) -> None:
    """A host (or a hand-written client) that sends tools/list before initialize got the
    SDK's bare "Invalid request parameters", as if its params were wrong: now the same code
    says the session is not initialized and what to send first. ping stays answered, and
    once initialized the same request works; a request whose params are wrong after
    initialize keeps its own answer."""
    async with wire_server(tmp_path, initialize=False) as wire:
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        early = await wire.answer(1)
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}))
        pinged = await wire.answer(2)
        initialize = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "review", "version": "0"},
        }
        await wire.send_line(
            json.dumps({"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": initialize})
        )
        assert await wire.answer(3) is not None
        await wire.send_line('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        listed, refused = await listed_then_refused(wire, 4)
    assert early is not None
    assert early["error"]["code"] == -32602
    assert "not initialized" in early["error"]["message"], early
    assert "send initialize first" in early["error"]["message"], early
    assert pinged is not None
    assert pinged.get("result") == {}, pinged
    assert listed is not None
    assert "usersSetPhoto" in [tool["name"] for tool in listed["result"]["tools"]]
    assert refused is not None
    assert "not initialized" not in refused["error"]["message"], refused


async def test_a_session_opened_by_a_bare_initialized_notification_keeps_the_sdks_answers(
    tmp_path: Path,
) -> None:
    """The SDK opens its request gate on a bare notifications/initialized too (no initialize
    request: its "born-ready" path). A request refused after that for its own params was
    reworded as "the session is not initialized: send initialize first", which is false
    there and hides that the params are wrong."""
    async with wire_server(tmp_path, initialize=False) as wire:
        await wire.send_line('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        listed, refused = await listed_then_refused(wire, 1)
    assert listed is not None
    assert "usersSetPhoto" in [tool["name"] for tool in listed["result"]["tools"]], listed
    assert refused is not None
    assert refused["error"]["code"] == -32602, refused
    assert "not initialized" not in refused["error"]["message"], refused
